"""A DataTable that keeps the rows it rendered when a restyle changes nothing it draws with.

Textual restyles every widget of a screen each time the screen comes back (a mode switch), and
DataTable answers every restyle by dropping all its render caches: every visible cell is
rendered again, most of the cost of returning to a screen with a full table, and the slowest
keys while jobs copy. Here a restyle only marks the caches suspect; the next paint compares
the styles the cells are drawn with (the table's own, its background, its component classes)
with those of the last paint, and drops the caches only when they differ (a theme, focus, a
class that changes the look).
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable

Look = tuple[Any, ...]


class SteadyTable(DataTable[Any]):
    """DataTable whose render caches survive restyles that leave its look as it was."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._restyled = False
        self._drawn_look: Look | None = None

    def notify_style_update(self) -> None:
        # The widget's own style caches go at once (cheap); the rows wait for the next paint.
        Widget.notify_style_update(self)
        self._restyled = True
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._restyled:
            self._restyled = False
            look = self._look()
            if look != self._drawn_look:
                self._drawn_look = look
                DataTable.notify_style_update(self)
        return super().render_lines(crop)

    def _look(self) -> Look:
        """Every style a cell is drawn with."""
        components = tuple(
            self.get_component_rich_style(name, default=Style.null())
            for name in sorted(self.COMPONENT_CLASSES)
        )
        return (self.rich_style, self.background_colors, components)
