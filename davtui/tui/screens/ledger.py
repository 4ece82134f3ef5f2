"""The Items screen: one job's last-run ledger, a page at a time, filtered by outcome, with the
highlighted entry shown side by side (sent / stored) and its conflict settled from here.

Entries are read through `davtui.engine.jobs.ledger` (`davtui job show NAME --items` reads
the same); a conflict is settled through `davtui.engine.jobs.conflicts.resolve`, the function
`davtui job resolve` calls, so the TUI never writes an item's state itself. The ledger is what
the run found and stays as it was; the item state says whether a conflict was settled since.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Select, Static

from davtui.engine.jobs import ledger
from davtui.engine.jobs.conflicts import Unresolvable, resolve
from davtui.store.models import ItemState, Job
from davtui.store.rows import tuples
from davtui.tui.messages import JobsChanged
from davtui.tui.screens.confirm import ConfirmScreen
from davtui.tui.widgets.keys_footer import KeysFooter
from davtui.tui.widgets.ledger_view import SETTLED, entry_panel

#: Entries read from the database at a time: a run of 100,000 items lists quickly.
PAGE = 100
ALL = "all"
#: What each key keeps, in `job resolve`'s words, and the question's end.
KEEPS = {
    "source": "the next run writes the source's version over the destination's",
    "destination": "the destination's version is kept and no longer reported",
}


class LedgerScreen(Screen[None]):
    """Filter and page line on top, the entries, the highlighted entry below."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="items.back"),
        Binding("f", "next_outcome", "Outcome", id="items.outcome", tooltip="Next outcome filter"),
        Binding("n", "page(1)", "Next page", id="items.next"),
        Binding("b", "page(-1)", "Prev page", id="items.prev"),
        Binding("s", "keep('source')", "Keep source", id="items.keep_source"),
        Binding("d", "keep('destination')", "Keep dest", id="items.keep_destination"),
    ]

    def __init__(self, job_id: int) -> None:
        super().__init__()
        self.job_id = job_id
        self.job_name = Job.get_by_id(job_id).name
        self.title_text = f"Items of {self.job_name}"
        self.run_id = ledger.last_run(job_id)
        self.counts = ledger.counts(job_id, self.run_id)
        self.outcome: str | None = None
        self.first = 0
        self.page: list[ledger.Entry] = []
        self.settled: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="ledger-filters"):
            yield Select(self._choices(), value=ALL, allow_blank=False, id="ledger-outcome",
                         compact=True)  # fmt: skip
            yield Static(id="ledger-status")
        table: DataTable[Any] = DataTable(id="ledger-items", cursor_type="row", zebra_stripes=True)
        table.add_columns("Outcome", "Collection", "Item", "Reason")
        yield table
        with VerticalScroll(id="ledger-entry-box"):
            yield Static(id="ledger-entry")
        yield KeysFooter()

    def _choices(self) -> list[tuple[str, str]]:
        total = sum(self.counts.values())
        found = [(f"{name} ({n})", name) for name, n in self.counts.items() if n]
        return [(f"All outcomes ({total})", ALL), *found]

    def on_mount(self) -> None:
        self.sub_title = self.title_text
        self.load()
        self.query_one("#ledger-items", DataTable).focus()

    def total(self) -> int:
        """Entries under the current filter (the counts say it without reading them)."""
        return self.counts.get(self.outcome, 0) if self.outcome else sum(self.counts.values())

    def load(self) -> None:
        """Read the page at `offset` under the filter, with the item state of its conflicts."""
        self.page = ledger.entries(self.job_id, self.run_id, self.outcome, self.first, PAGE)
        hrefs = [e.href for e in self.page if e.outcome == "conflict" and e.href]
        self.settled = dict(
            tuples(
                ItemState.select(ItemState.source_href, ItemState.outcome).where(
                    (ItemState.job == self.job_id) & ItemState.source_href.in_(hrefs)
                )
            )
        )
        table = self.query_one("#ledger-items", DataTable)
        table.clear()
        for index, entry in enumerate(self.page):
            outcome = "resolved" if self._settled(entry) else entry.outcome
            name = entry.summary or entry.uid or entry.href or "-"
            reason = (entry.reason or "").splitlines()[0] if entry.reason else ""
            table.add_row(outcome, entry.collection or "-", name, reason, key=str(index))
        self._show_status()
        self._show_entry()
        self.refresh_bindings()

    def _settled(self, entry: ledger.Entry) -> str | None:
        """The conflict's resolution since the run, if `job resolve` (or `s`/`d`) made one."""
        if entry.outcome != "conflict" or not entry.href:
            return None
        state = self.settled.get(entry.href)
        return state if state in SETTLED else None

    def _show_status(self) -> None:
        status = self.query_one("#ledger-status", Static)
        if self.run_id is None:
            status.update(f"Job {self.job_name} has no finished run yet.")
            return
        total = self.total()
        if not total:
            which = f" {self.outcome}" if self.outcome else ""
            status.update(f"Run #{self.run_id}: no{which} items (every item arrived as sent).")
            return
        last = self.first + len(self.page)
        status.update(f"Run #{self.run_id}: {self.first + 1}-{last} of {total}")

    def highlighted(self) -> ledger.Entry | None:
        table = self.query_one("#ledger-items", DataTable)
        if not table.row_count or not 0 <= table.cursor_row < len(self.page):
            return None
        return self.page[table.cursor_row]

    @on(DataTable.RowHighlighted, "#ledger-items")
    def _show_entry(self) -> None:
        entry = self.highlighted()
        panel = self.query_one("#ledger-entry", Static)
        if entry is None:
            panel.update("Nothing to show: press f for another outcome, esc to go back.")
        else:
            panel.update(entry_panel(entry, self._settled(entry), self.app.theme_variables))
        self.refresh_bindings()

    @on(Select.Changed, "#ledger-outcome")
    def _filter_changed(self, event: Select.Changed) -> None:
        outcome = None if event.value in (ALL, Select.BLANK) else str(event.value)
        if outcome != self.outcome:
            self.outcome, self.first = outcome, 0
            self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hidden, not greyed: the footer shows only the keys that do something here."""
        if action == "page":
            step = int(str(parameters[0]))
            if step > 0:
                return self.first + PAGE < self.total()
            return self.first > 0
        if action == "keep":
            entry = self.highlighted()
            return entry is not None and entry.outcome == "conflict" and not self._settled(entry)
        if action == "next_outcome":
            return len(self._choices()) > 1
        return True

    def action_back(self) -> None:
        self.dismiss()

    def action_next_outcome(self) -> None:
        """The next outcome with entries, then all again (as `f` steps the log's levels)."""
        choices = [value for _, value in self._choices()]
        select = self.query_one("#ledger-outcome", Select)
        now = choices.index(select.value) if select.value in choices else 0
        select.value = choices[(now + 1) % len(choices)]

    def action_page(self, step: int) -> None:
        if self.check_action("page", (step,)):
            self.first = max(0, self.first + step * PAGE)
            self.load()

    def action_keep(self, keep: str) -> None:
        entry = self.highlighted()
        if entry is None or not self.check_action("keep", (keep,)):
            return
        if entry.uid is None:  # resolve(uid=None) settles them all: not from one entry
            self.notify(
                f"This item has no UID: settle it with davtui job resolve {self.job_name} --all.",
                severity="warning",
            )
            return
        uid = entry.uid

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._resolve(uid, keep)

        question = f"Keep the {keep}'s version of {entry.summary or uid}? Then {KEEPS[keep]}."
        self.app.push_screen(ConfirmScreen("Resolve conflict", question, yes="Keep"), confirmed)

    def _resolve(self, uid: str, keep: str) -> None:
        """Settle through `job resolve`'s own function; its refusal is one sentence."""
        try:
            settled = resolve(self.job_id, keep, uid)
        except Unresolvable as exc:
            self.notify(str(exc), severity="error")
            return
        row = self.query_one("#ledger-items", DataTable).cursor_row
        self.load()
        self.query_one("#ledger-items", DataTable).move_cursor(row=row)
        self.app.post_message(JobsChanged())
        self.notify(f"Resolved {settled} conflict(s): {KEEPS[keep]}.")
