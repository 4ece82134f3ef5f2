"""A yes/no question as a modal: `push_screen(ConfirmScreen(...), callback)` gets a bool."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label


class ConfirmScreen(ModalScreen[bool]):
    """Asks before something that cannot be undone; `y`/`n`/escape work from the keyboard.

    With `allowed=False` it only informs (one OK button), e.g. when a delete is refused.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No", key_display="n/esc"),
        Binding("escape,enter", "close", "Close", key_display="esc"),
    ]

    def __init__(self, title: str, question: str, yes: str = "Yes", allowed: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.yes = yes
        self.allowed = allowed

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="confirm") as dialog:
            dialog.border_title = self.title_text
            yield Label(self.question, id="question")
            with Horizontal(classes="buttons"):
                if self.allowed:
                    yield Button(f"{self.yes} (y)", variant="error", id="yes", compact=True)
                    yield Button("Cancel (n)", id="no", compact=True)
                else:
                    yield Button("OK", variant="primary", id="no", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A question offers y and n; a notice (only OK) offers esc to close, no Yes/No."""
        if action == "close":
            return not self.allowed
        if action == "answer":
            return self.allowed
        return True

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes and self.allowed)

    def action_close(self) -> None:
        self.dismiss(False)
