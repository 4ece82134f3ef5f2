"""The fleet overview: the whole queue at a glance, the same summary `davtui status` prints.

`engine.jobs.fleet.summary` is a few aggregate queries (never every job), so the screen
rereads it when jobs change and every few seconds while it shows, for the items and the pace
of the runs in progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from davtui.engine.jobs.fleet import summary
from davtui.tui.messages import JobsChanged, JobStateChanged
from davtui.tui.widgets.keys_footer import KeysFooter
from davtui.tui.widgets.steady_table import SteadyTable

if TYPE_CHECKING:
    from davtui.tui.app import DavtuiApp

REFRESH_SECONDS = 2.0


class FleetScreen(Screen[None]):
    """The summary on top; the jobs with the most failed items and the slowest servers below."""

    if TYPE_CHECKING:  # Textual's own way to type `self.app`
        app = getters.app(DavtuiApp)

    BINDINGS = [Binding("g", "refresh", "Refresh", id="fleet.refresh")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="fleet-summary")
        with Horizontal(id="fleet-lists"):
            failed: DataTable[Any] = SteadyTable(id="fleet-failed", cursor_type="row")
            failed.add_columns("Failed", "Job (last run)", "Status")
            yield failed
            slow: DataTable[Any] = SteadyTable(id="fleet-slowest", cursor_type="row")
            slow.add_columns("Items/s", "Server (running jobs)", "Jobs")
            yield slow
        yield KeysFooter()

    def on_mount(self) -> None:
        self.app.job_events.subscribe(self, self.on_job_event)
        self.set_interval(REFRESH_SECONDS, self.action_refresh)
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def on_job_event(self, message: Message) -> None:
        if isinstance(message, (JobsChanged, JobStateChanged)):
            self.action_refresh()

    def action_refresh(self) -> None:
        if not self.is_current:
            return  # not on display: reread when shown
        fleet = summary()
        self.query_one("#fleet-summary", Static).update("\n".join(fleet.lines()))
        failed = self.query_one("#fleet-failed", DataTable)
        failed.clear()
        for job in fleet.most_failed:
            failed.add_row(f"{job.failed:,}", job.name, job.status.replace("_", " "))
        slow = self.query_one("#fleet-slowest", DataTable)
        slow.clear()
        for host in fleet.slowest:
            slow.add_row(f"{host.rate:,.1f}", host.host, f"{host.jobs:,}")
