"""A DataTable that keeps the rows it rendered when a restyle changes nothing it draws with.

Textual restyles every widget of a screen each time the screen comes back (a mode switch), and
DataTable answers every restyle by dropping all its render caches: every visible cell is
rendered again, most of the cost of returning to a screen with a full table, and the slowest
keys while jobs copy. Here a restyle only marks the caches suspect; the next paint compares
the styles the cells are drawn with (the table's own, its background, its component classes)
with those of the last paint, and drops the caches only when they differ (a theme, focus, a
class that changes the look).

It also keeps each body line it drew until that row changes: DataTable counts every
`update_cell` as a change of the whole table (each render cache's key holds one update counter)
and repaints all of it, so the progress of a few copying jobs, drawn several times a second,
rendered every visible row each time. Here `update_cell` repaints its own row, and the other
rows' lines come from a cache keyed by each row's version. Rows are one line high (the line
`y` under the header is the row `y - header + scroll`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Self

from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

Look = tuple[Any, ...]


class SteadyTable(DataTable[Any]):
    """DataTable whose render caches survive restyles that leave its look as it was, and
    whose cell updates render their own row only."""

    def __init__(self, **kwargs: Any) -> None:
        self._restyled = False
        self._drawn_look: Look | None = None
        self._lines: LRUCache[tuple[Any, ...], Strip] = LRUCache(1000)
        self._versions: Counter[RowKey] = Counter()
        self._generation = 0  # moves on with every change not tied to one row
        self._frame: tuple[Any, ...] = ()  # what every line of this paint is drawn with
        self._one_row = False  # inside update_cell: its whole-table refresh is not needed
        super().__init__(**kwargs)  # which refreshes and clears already

    def notify_style_update(self) -> None:
        # The widget's own style caches go at once (cheap); the rows wait for the next paint,
        # which a restyle always brings (the screen's), and are kept if the look is the same.
        Widget.notify_style_update(self)
        self._restyled = True

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._restyled:
            self._restyled = False
            look = self._look()
            if look != self._drawn_look:
                self._drawn_look = look
                self.forget_rendered()
        self._frame = self._frame_key()
        return super().render_lines(crop)

    def forget_rendered(self) -> None:
        """Drop every rendered cell and line: the next paint renders all from the data."""
        self._lines.clear()
        DataTable.notify_style_update(self)

    def render_line(self, y: int) -> Strip:
        header = self.header_height if self.show_header else 0
        index = y - header + self.scroll_offset.y
        live = (self.cursor_coordinate.row, self.hover_coordinate.row)
        if y < header or self.fixed_rows or index in live or index >= self.row_count:
            return super().render_line(y)  # the cursor's and the mouse's rows: as drawn now
        row = self.ordered_rows[index].key
        key = (index, row, self._versions[row], *self._frame)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = super().render_line(y)
        return line

    def _frame_key(self) -> tuple[Any, ...]:
        widths = tuple(column.get_render_width(self) for column in self.ordered_columns)
        return (
            self._generation, self.scroll_offset.x, self.size.width, self.rich_style,
            self.get_pseudo_class_state(), widths, self.cell_padding, self.zebra_stripes,
        )  # fmt: skip

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Any,
        *,
        update_width: bool = False,
    ) -> None:
        """The cell, repainting its row only (unless the column's width may change)."""
        self._one_row = not update_width
        try:
            super().update_cell(row_key, column_key, value, update_width=update_width)
        finally:
            self._one_row = False
        row = row_key if isinstance(row_key, RowKey) else RowKey(row_key)
        self._versions[row] += 1
        if not update_width:
            self.refresh_row(self.get_row_index(row))

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        if self._one_row and not regions and not layout and not recompose:
            return self  # update_cell repaints its row itself
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def clear(self, columns: bool = False) -> Self:
        self._generation += 1  # a row added again under its key is another row
        self._versions.clear()
        return super().clear(columns)

    def remove_row(self, row_key: RowKey | str) -> None:
        self._generation += 1
        super().remove_row(row_key)

    def _look(self) -> Look:
        """Every style a cell is drawn with."""
        components = tuple(
            self.get_component_rich_style(name, default=Style.null())
            for name in sorted(self.COMPONENT_CLASSES)
        )
        return (self.rich_style, self.background_colors, components)
