"""The footer of every screen: Textual's, rebuilt only when the keys it shows change.

Textual's `Footer` removes and mounts all of its keys (a widget each, styled one by one) on
every `refresh_bindings`, and a screen switch or a move in the jobs table asks for that several
times: on a loaded machine that was 5-8 rebuilds and ~150-200 ms of every switch, the largest
part of a switch after the table's own drawing. Most of those rebuilds show the same keys
again, or are for a screen being left (the mode keys change as the mode does): this footer
skips those, and the resumed screen's own request (Textual sends one on every resume)
rebuilds it when its keys really differ.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """A `Footer` that recomposes only when its keys (or their state) differ."""

    def __init__(self, *, id: str | None = None, compact: bool = True) -> None:
        super().__init__(id=id, compact=compact)
        self.shown: tuple[Hashable, ...] | None = None
        """The keys as last composed (None: not composed with bindings yet)."""
        self.ready = False
        """The screen has told its bindings once: composing shows them from then on."""

    def keys(self) -> tuple[Hashable, ...]:
        """What `Footer.compose` draws from: each shown binding and its state, in order."""
        app = self.app
        return tuple(
            (key, binding.key, app.get_key_display(binding), binding.description,
             binding.action, binding.show, enabled, tooltip, binding.tooltip,
             binding.group)
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == app.COMMAND_PALETTE_BINDING
        )  # fmt: skip

    def bindings_changed(self, screen: Screen) -> None:
        self.ready = True
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        self.shown = self.keys() if self.ready else None
        yield from super().compose()

    async def recompose(self) -> None:
        """Rebuild the keys, unless they are the ones on display (a repeated request) or the
        screen is not (a screen being left, or under a dialog): its resume asks again."""
        held = self.is_attached and self.shown is not None
        if held and (not self.screen.is_current or self.keys() == self.shown):
            return
        await super().recompose()
