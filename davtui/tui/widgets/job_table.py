"""The jobs table: a window of a few pages of jobs, read by keyset as the cursor reaches an end.

DataTable measures and keeps every row it holds, so it holds at most `MAX_ROWS` of them: moving
past the last row reads the next page (and forgets the oldest one), `End` and `Home` jump to the
last and first page (they scrolled sideways before: the route column is wide), and the window is
reread in place when jobs change.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.message import Message

from davtui.store.models import Run
from davtui.store.rows import tuples
from davtui.tui.job_pages import JobQuery, JobRow, Key
from davtui.tui.widgets.format import badge
from davtui.tui.widgets.steady_table import SteadyTable

PAGE = 100
MAX_ROWS = 3 * PAGE
#: The Status column's cells: "dry with errors" fits (`format.status_label`).
STATUS_WIDTH = 15
NAME_WIDTH = (11, 30)  # narrowest (80 columns) and widest Name column
# Most telling first: at 80 columns the route scrolls off (the detail panel repeats it).
COLUMNS = (
    ("Name", "name", NAME_WIDTH[0]),
    ("Status", "status", STATUS_WIDTH),
    ("Progress", "progress", 13),
    ("Done", "done", 9),
    ("Rate", "rate", 5),
    ("ETA", "eta", 10),
    ("What", "what", 9),
    ("Source → destination", "route", None),
)
#: The width the other columns take (with each column's padding of 2): the rest is the Name's.
OTHERS_WIDTH = sum(width or 0 for _l, _k, width in COLUMNS[1:]) + 2 * len(COLUMNS) + 4


def dry_run_jobs(ids: list[int]) -> set[int]:
    """Which of `ids` had a dry run as their last run: their status says so."""
    if not ids:
        return set()
    last: dict[int, tuple[int, bool]] = {}
    for job_id, run_id, dry in tuples(
        Run.select(Run.job, Run.id, Run.dry_run).where(Run.job.in_(ids))
    ):
        if run_id > last.get(job_id, (0, False))[0]:
            last[job_id] = (run_id, dry)
    return {job_id for job_id, (_run, dry) in last.items() if dry}


class JobTable(SteadyTable):
    """The window of jobs `query` selects; `total` of them match."""

    BINDINGS = [
        Binding("end", "last_page", "Last", show=False),
        Binding("home", "first_page", "First", show=False),
        Binding(
            "space", "mark", "Select", id="job.mark", show=False, tooltip="Select this job or not"
        ),
        Binding("shift+down", "mark_move(1)", "Select down", id="job.mark_down", show=False),
        Binding("shift+up", "mark_move(-1)", "Select up", id="job.mark_up", show=False),
        Binding(
            "asterisk",
            "mark_all",
            "Select all",
            id="job.mark_all",
            show=False,
            tooltip="Select every job the filter matches (again: none)",
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.job_query = JobQuery()
        self.window: list[JobRow] = []
        self.more_before = False
        self.more_after = False
        self.total = 0
        self.name_width = NAME_WIDTH[0]
        self.add_columns_for(self.name_width)
        self.marked: set[int] = set()
        """The jobs selected one by one (space, shift+arrows)."""
        self.all_matching = False
        """Every job the filter matches is selected (`*`), also those not in the window."""
        self.drawn: tuple[Any, ...] | None = None
        """What the rows on display show (`show` rebuilds them only when it differs)."""

    def selection(self) -> list[int] | None:
        """The ids of the selected jobs, or None when none is (keys act on the cursor's)."""
        if self.all_matching:
            return self.job_query.ids()
        return sorted(self.marked) if self.marked else None

    def status_of(self, job_id: int | None) -> str | None:
        """Job `job_id`'s status as the window has it (None: not in the window)."""
        return next((row.status for row in self.window if row.id == job_id), None)

    def clear_marks(self) -> None:
        self.marked.clear()
        self.all_matching = False

    def _name_cell(self, job: JobRow) -> str:
        return f"● {job.name}" if self.all_matching or job.id in self.marked else job.name

    def _remark(self, job_id: int) -> None:
        row = next((row for row in self.window if row.id == job_id), None)
        if row is not None:
            self.update_cell(str(job_id), "name", self._name_cell(row))

    def _current(self) -> int | None:
        if not self.row_count:
            return None
        return int(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value or 0)

    def action_mark(self) -> None:
        job_id = self._current()
        if job_id is None:
            return
        if self.all_matching:  # from "all" to one by one: every other shown job stays
            self.all_matching = False
            self.marked = {row.id for row in self.window}
        self.marked ^= {job_id}
        self.show(self.app.theme_variables, job_id)
        self.post_message(self.Marked())

    def action_mark_move(self, step: int) -> None:
        """Select the job under the cursor and the next one up or down (shift+arrows)."""
        job_id = self._current()
        if job_id is None:
            return
        self.marked.add(job_id)
        self._remark(job_id)
        self.move_cursor(row=self.cursor_row + step, animate=False)
        following = self._current()
        if following is not None:
            self.marked.add(following)
            self._remark(following)
        self.post_message(self.Marked())

    def action_mark_all(self) -> None:
        self.all_matching = not self.all_matching
        self.marked.clear()
        self.show(self.app.theme_variables, self._current())
        self.post_message(self.Marked())

    class Marked(Message):
        """The selection changed: the screen says how many are selected."""

    def add_columns_for(self, name_width: int) -> None:
        self.name_width = name_width
        for label, key, width in COLUMNS:
            self.add_column(label, key=key, width=name_width if key == "name" else width)

    def fit_name(self, width: int) -> bool:
        """Give the Name column what the others leave of `width`; True when it changed."""
        wanted = max(NAME_WIDTH[0], min(NAME_WIDTH[1], width - OTHERS_WIDTH))
        if wanted == self.name_width:
            return False
        self.clear(columns=True)
        self.drawn = None
        self.add_columns_for(wanted)
        return True

    def read(
        self, key: Key | None, forward: bool = True, inclusive: bool = False, limit: int = PAGE
    ) -> list[JobRow]:
        return self.job_query.page(key, limit, forward=forward, inclusive=inclusive)

    def reread(self) -> None:
        """The same window again (jobs were added, changed or removed), from its first row."""
        self.total = self.job_query.count()
        first = self.window[0].key(self.job_query.sort) if self.window else None
        size = max(len(self.window), PAGE)
        rows = self.read(first, inclusive=True, limit=size + 1)
        if first is not None and not rows:  # the window's jobs are gone: back to the start
            rows, first = self.read(None, limit=size + 1), None
        self.more_after = len(rows) > size
        self.window = rows[:size]
        self.more_before = first is not None and bool(self.read(first, forward=False, limit=1))

    def first_page(self) -> None:
        self.total = self.job_query.count()
        rows = self.read(None, limit=PAGE + 1)
        self.window, self.more_before, self.more_after = rows[:PAGE], False, len(rows) > PAGE

    def last_page(self) -> None:
        self.total = self.job_query.count()
        rows = self.read(None, forward=False, limit=PAGE + 1)
        self.window, self.more_after = rows[-PAGE:], False
        self.more_before = len(rows) > PAGE

    def next_page(self) -> bool:
        """Append the page after the window (forgetting the oldest beyond MAX_ROWS)."""
        if not self.more_after or not self.window:
            return False
        rows = self.read(self.window[-1].key(self.job_query.sort), limit=PAGE + 1)
        self.more_after = len(rows) > PAGE
        self.window += rows[:PAGE]
        if len(self.window) > MAX_ROWS:
            self.window, self.more_before = self.window[-MAX_ROWS:], True
        return True

    def previous_page(self) -> bool:
        """Prepend the page before the window (forgetting the newest beyond MAX_ROWS)."""
        if not self.more_before or not self.window:
            return False
        rows = self.read(self.window[0].key(self.job_query.sort), forward=False, limit=PAGE + 1)
        self.more_before = len(rows) > PAGE
        self.window = rows[-PAGE:] + self.window
        if len(self.window) > MAX_ROWS:
            self.window, self.more_after = self.window[:MAX_ROWS], True
        return True

    def show(self, theme: dict[str, str], cursor: int | None) -> None:
        """Put the window in the table, the cursor on job `cursor` when it is there.

        The rows are rebuilt only when what they show differs from the rows on display: a
        rebuild measures every cell of the window again and redraws the table, and each screen
        switch and job event rereads the window (mostly to find it unchanged)."""
        dry = dry_run_jobs([row.id for row in self.window])
        marks = self.all_matching or frozenset(self.marked & {row.id for row in self.window})
        drawn = (tuple(self.window), frozenset(dry), marks, self.app.theme)
        if drawn != self.drawn:
            self.drawn = drawn
            self._rebuild(theme, dry)
        if cursor is not None and str(cursor) in self.rows:
            self.move_cursor(row=self.get_row_index(str(cursor)), animate=False)

    def _rebuild(self, theme: dict[str, str], dry: set[int]) -> None:
        self.clear()
        for job in self.window:
            self.add_row(
                self._name_cell(job),
                badge(job.status, theme, job.id in dry, STATUS_WIDTH),
                "",
                "",
                "",
                "",
                job.what,
                f"{job.source} → {job.destination}",
                key=str(job.id),
            )

    class Jumped(Message):
        """The window moved to the first or last page: the screen refills what it adds."""

    def action_last_page(self) -> None:
        self.last_page()
        self.show(self.app.theme_variables, self.window[-1].id if self.window else None)
        self.post_message(self.Jumped())

    def action_first_page(self) -> None:
        self.first_page()
        self.show(self.app.theme_variables, self.window[0].id if self.window else None)
        self.post_message(self.Jumped())
