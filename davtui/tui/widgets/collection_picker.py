"""The job form's collection picker: the source's collections as check boxes, each with an
editable target name, the destination's existing collections offered as suggestions.

The form discovers the accounts (in a thread worker) and hands the results to `show_source`
and `show_destination`; `choices()` is what `Job.collections` stores: an empty list means
"every collection, same names", so collections added to the source later are copied too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Static

from davtui.engine.storages.contract import ADDRESSBOOK, Collection

ICONS = {ADDRESSBOOK: "contacts"}


def choice_key(collection: Collection, names: Counter[str]) -> str:
    """How a choice names its source collection: the display name, or the href if ambiguous."""
    return collection.name if names[collection.name] == 1 else collection.href


class CollectionPicker(VerticalScroll):
    """One row per source collection; `saved` is the job's stored choice (empty: all)."""

    DEFAULT_CSS = """
    CollectionPicker {
        height: auto;
        max-height: 8;
        & .pick { height: 1; }
        & .pick Checkbox { width: 1fr; }
        & .pick Input { width: 1fr; }
        & #pick-status { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(self, saved: Sequence[dict[str, Any]] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.saved = {c["source"]: c.get("target") for c in saved}
        self.keys: list[str] = []
        self._names: list[str] = []
        self._suggester: SuggestFromList | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._default_text(), id="pick-status")

    def _default_text(self) -> str:
        if self.saved:
            return f"Collections: {len(self.saved)} chosen; choose the source to change them."
        return "Collections: all of the source, same names (choose a source to pick)."

    def searching(self, account: str) -> None:
        self.query(".pick").remove()
        self.keys, self._names = [], []
        self.query_one("#pick-status", Static).update(f"Looking for collections on {account}…")

    def failed(self, error: str) -> None:
        self.query_one("#pick-status", Static).update(f"Cannot list the collections: {error}")

    def show_destination(self, collections: Sequence[Collection]) -> None:
        """Offer the destination's collection names while a target name is typed."""
        names = sorted({c.name for c in collections}, key=str.casefold)
        self._suggester = SuggestFromList(names, case_sensitive=False)
        for field in self.query(".pick Input").results(Input):
            field.suggester = self._suggester

    def show_source(self, collections: Sequence[Collection]) -> None:
        self.query(".pick").remove()
        names = Counter(c.name for c in collections)
        self.keys = [choice_key(c, names) for c in collections]
        self._names = [c.name for c in collections]
        status = f"Collections: {len(collections)} found; untick to skip, edit the target name."
        self.query_one("#pick-status", Static).update(
            status if collections else "Collections: none found on the source."
        )
        rows = []
        for index, (key, collection) in enumerate(zip(self.keys, collections, strict=True)):
            chosen = not self.saved or key in self.saved
            label = f"{collection.name} ({ICONS.get(collection.kind, 'calendar')})"
            target = self.saved.get(key) or collection.name
            rows.append(
                Horizontal(
                    Checkbox(label, chosen, id=f"pick-{index}", compact=True),
                    Input(
                        target,
                        placeholder=collection.name,
                        id=f"target-{index}",
                        compact=True,
                        suggester=self._suggester,
                    ),
                    classes="pick",
                )
            )
        self.mount_all(rows)

    def choices(self) -> list[dict[str, str | None]]:
        """The `Job.collections` value: [] when everything is picked under its own name."""
        if not self.keys:
            return [{"source": k, "target": t} for k, t in self.saved.items()]
        picked = []
        for index, (key, name) in enumerate(zip(self.keys, self._names, strict=True)):
            if not self.query_one(f"#pick-{index}", Checkbox).value:
                continue
            target = self.query_one(f"#target-{index}", Input).value.strip()
            picked.append({"source": key, "target": None if target in ("", name) else target})
        everything = len(picked) == len(self.keys) and all(c["target"] is None for c in picked)
        return [] if everything else picked
