"""davtui's own key help: the keys of the screen it was opened from, with what each does.

Textual's help panel and the palette's "Keys" list generic keys; a newcomer wants to know what
`s` or `t` does here, so this modal reads the screen's active bindings (the ones its footer
draws from, plus those hidden there for lack of room) and lists them, app-wide ones last.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, Static

#: Keys Textual binds for its own machinery that mean nothing to a davtui user.
UNLISTED = {"tab", "shift+tab", "ctrl+c", "ctrl+p", "super+c"}


def key_lines(screen: Screen) -> list[tuple[str, str]]:
    """(keys, what they do) for `screen`'s bindings that apply now, then the App's; the
    focused widget's generic keys (cursor moves, copy) are left out."""
    own: dict[str, tuple[list[str], str]] = {}  # description -> (keys, what they do)
    app_wide: dict[str, tuple[list[str], str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if key in UNLISTED or not binding.description or not active.enabled or binding.system:
            continue
        if active.node is not screen and active.node is not screen.app and not binding.id:
            continue  # a widget's generic keys (a table's cursor keys) are no news
        place = app_wide if active.node is screen.app else own
        keys, _ = place.setdefault(binding.description, ([], binding.description))
        if binding.id and binding.tooltip:  # davtui's own longer words (not Textual's)
            place[binding.description] = (keys, binding.tooltip)
        keys.append(screen.app.get_key_display(binding))
    return [
        (" ".join(dict.fromkeys(keys)), what) for keys, what in [*own.values(), *app_wide.values()]
    ]


class HelpScreen(ModalScreen[None]):
    """The keys of `screen` (the one below this modal), closed by any of esc, q, ? or F1."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", key_display="esc")]

    def __init__(self, screen: Screen, title: str) -> None:
        super().__init__()
        self.lines = key_lines(screen)
        self.title_text = title

    def compose(self) -> ComposeResult:
        width = max((len(keys) for keys, _ in self.lines), default=1)
        text = "\n".join(f"[b]{keys:>{width}}[/]  {what}" for keys, what in self.lines)
        with Vertical(id="dialog", classes="help") as dialog:
            dialog.border_title = f"Keys: {self.title_text}"
            yield Static(text, id="keys", markup=True)
            yield Label("Any other key works only where the footer shows it.", id="guide")
        yield Footer(compact=True)
