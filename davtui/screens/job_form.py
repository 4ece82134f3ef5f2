"""The new/edit job modal: source and destination accounts, what to copy and how.

Choosing an account discovers its collections in a thread worker: the source's fill the
collection picker, the destination's are offered as target names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Function
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select

from davtui.engine.connect import open_source
from davtui.engine.errors import EngineError
from davtui.engine.jobs import spec_of
from davtui.messages import CollectionsFound
from davtui.store import StoreError, Vault
from davtui.store.models import Account, Job
from davtui.widgets.collection_picker import CollectionPicker

WHAT = (("Calendars and contacts", "both"), ("Calendars", "calendars"), ("Contacts", "contacts"))
MODES = (("Copy: create and update", "copy"), ("Mirror: also delete what it copied", "mirror"))
CONFLICTS = (("Skip and report", "skip"), ("Source wins", "source-wins"))


@dataclass(frozen=True)
class JobFields:
    """What the form collected; the Jobs screen writes it to a `Job` row."""

    name: str
    source_id: int
    destination_id: int
    what: str
    mode: str
    conflict: str
    suppress_invitations: bool
    dry_run: bool
    collections: list[dict[str, Any]]


class JobForm(ModalScreen[JobFields | None]):
    """Create a job, or edit `job` (which must not be queued or running)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, job: Job | None = None) -> None:
        super().__init__()
        self.job = job

    def _name_free(self, value: str) -> bool:
        query = Job.select().where(Job.name == value.strip())
        if self.job is not None:
            query = query.where(Job.id != self.job.id)
        return not query.exists()

    def compose(self) -> ComposeResult:
        job = self.job
        accounts = [(a.name, a.id) for a in Account.select().order_by(Account.name)]
        with Vertical(id="dialog", classes="form") as dialog:
            dialog.border_title = f"Edit job {job.name}" if job else "New job"
            with Grid(classes="fields"):
                yield Label("Name")
                yield Input(
                    job.name if job else "",
                    placeholder="e.g. zimbra-to-mailcow",
                    id="name",
                    compact=True,
                    validators=[
                        Function(lambda v: bool(v.strip()), "A name is required."),
                        Function(self._name_free, "Another job has this name."),
                    ],
                )
                yield Label("From")
                yield Select(
                    accounts,
                    value=job.source_id if job else Select.NULL,
                    prompt="source account (read only)",
                    id="source",
                    compact=True,
                )
                yield Label("To")
                yield Select(
                    accounts,
                    value=job.destination_id if job else Select.NULL,
                    prompt="destination account",
                    id="destination",
                    compact=True,
                )
                yield Label("What")
                yield self._choice("what", WHAT, job.what if job else "both")
                yield Label("Mode")
                yield self._choice("mode", MODES, job.mode if job else "copy")
                yield Label("Conflicts")
                yield self._choice("conflict", CONFLICTS, job.conflict if job else "skip")
                yield Label("Options")
                with Horizontal(classes="options"):
                    yield Checkbox(
                        "suppress invitations",
                        job.suppress_invitations if job else False,
                        id="suppress_invitations",
                        compact=True,
                    )
                    yield Checkbox(
                        "dry run", job.dry_run if job else False, id="dry_run", compact=True
                    )
            yield CollectionPicker(job.collections if job else (), id="collections")
            yield Label("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Save ^s", variant="primary", id="save", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.job is not None:  # editing: show what the accounts hold now
            self.discover(self.job.source_id, "source")
            self.discover(self.job.destination_id, "destination")

    @on(Select.Changed, "#source")
    @on(Select.Changed, "#destination")
    def _account_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        role = str(event.select.id)
        if role == "source":
            account = Account.get_or_none(id=event.value)
            self.query_one(CollectionPicker).searching(account.name if account else "the source")
        self.discover(int(event.value), role)  # type: ignore[arg-type]

    @work(thread=True, exit_on_error=False, group="picker")
    def discover(self, account_id: int, role: str) -> None:
        """List the account's collections (a thread: the network never blocks the form)."""
        try:
            account = Account.get_by_id(account_id)
            storage = open_source(spec_of(account, Vault.open() if account.secret else None))
            try:
                found = storage.collections()
            finally:
                storage.close()
        except (EngineError, StoreError) as exc:
            self.post_message(CollectionsFound(account_id, role, error=str(exc)))
            return
        self.post_message(CollectionsFound(account_id, role, found))

    def on_collections_found(self, message: CollectionsFound) -> None:
        if self.query_one(f"#{message.role}", Select).value != message.account_id:
            return  # the user chose another account meanwhile
        picker = self.query_one(CollectionPicker)
        if message.role == "destination":
            picker.show_destination(message.collections)
        elif message.error:
            picker.failed(message.error)
        else:
            picker.show_source(message.collections)

    @staticmethod
    def _choice(name: str, options: tuple[tuple[str, str], ...], value: str) -> Select[str]:
        return Select(options, value=value, allow_blank=False, id=name, compact=True)

    def _problem(self) -> str | None:
        result = self.query_one("#name", Input).validate(self.query_one("#name", Input).value)
        if result is not None and not result.is_valid:
            return result.failure_descriptions[0]
        source = self.query_one("#source", Select).value
        destination = self.query_one("#destination", Select).value
        if source is Select.NULL or destination is Select.NULL:
            return "Choose a source and a destination account."
        if source == destination:
            return "The source and the destination must be different accounts."
        return None

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        problem = self._problem()
        self.query_one("#error", Label).update(problem or "")
        if problem is not None:
            return

        def value(name: str) -> str:
            return str(self.query_one(f"#{name}", Select).value)

        self.dismiss(
            JobFields(
                name=self.query_one("#name", Input).value.strip(),
                source_id=int(value("source")),
                destination_id=int(value("destination")),
                what=value("what"),
                mode=value("mode"),
                conflict=value("conflict"),
                suppress_invitations=self.query_one("#suppress_invitations", Checkbox).value,
                dry_run=self.query_one("#dry_run", Checkbox).value,
                collections=self.query_one(CollectionPicker).choices(),
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
