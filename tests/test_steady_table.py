"""SteadyTable renders again only the rows that changed: a cell update repaints its row and the
other rows' lines come from its cache, and every line it paints is the line DataTable would
render from nothing (after updates, a clear that adds rows again under the same keys, a sort,
a cursor move)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable

from davtui.tui.widgets.steady_table import SteadyTable

ROWS = 12


class Rendering(DataTable[object]):
    """DataTable noting each line it renders (SteadyTable's cache misses)."""

    rendered: list[int]

    def render_line(self, y: int) -> Strip:
        self.rendered.append(y)
        return super().render_line(y)


class Probe(SteadyTable, Rendering):
    rendered: list[int] = []


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Probe(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(Probe)
        for column in ("name", "rate"):
            table.add_column(column, key=column)
        for number in range(ROWS):
            table.add_row(f"job {number:02}", "", key=str(number))


def drawn(table: Probe) -> list[Strip]:
    return table.render_lines(Region(0, 0, table.size.width, table.size.height))


def fresh(table: Probe) -> list[Strip]:
    table.forget_rendered()
    return drawn(table)


def texts(lines: list[Strip]) -> list[str]:
    return [line.text.strip() for line in lines if line.text.strip()]


async def test_a_cell_update_renders_its_row_and_keeps_the_others() -> None:
    app = TableApp()
    async with app.run_test(size=(40, ROWS + 4)) as pilot:
        await pilot.pause()
        table = app.query_one(Probe)
        header = table.header_height
        table.rendered = []
        table.update_cell("5", "rate", "99/s")
        await pilot.pause()
        assert table.rendered == [header + 5]  # the row repainted, nothing else
        lines = drawn(table)
        assert "99/s" in lines[header + 5].text and lines == fresh(table)

        table.rendered = []
        table.refresh()  # a whole repaint: only the header and the cursor's row render again
        await pilot.pause()
        assert set(table.rendered) == {0, header}


async def test_every_line_is_the_line_rendered_from_nothing() -> None:
    app = TableApp()
    async with app.run_test(size=(40, ROWS + 4)) as pilot:
        await pilot.pause()
        table = app.query_one(Probe)
        drawn(table)
        for number in range(0, ROWS, 3):
            table.update_cell(str(number), "rate", f"{number}/s")
        await pilot.press("down", "down")
        assert drawn(table) == fresh(table)

        table.clear()  # the same keys again, other rows
        for number in range(ROWS):
            table.add_row(f"other {number:02}", "", key=str(number))
        await pilot.pause()
        lines = drawn(table)
        assert lines == fresh(table) and "other 04" in texts(lines)[5]

        table.sort("name", reverse=True)
        await pilot.pause()
        lines = drawn(table)
        assert lines == fresh(table) and texts(lines)[1].startswith("other 11")
