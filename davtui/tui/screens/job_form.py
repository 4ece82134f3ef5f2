"""The new/edit job modal: source and destination accounts, what to copy and how.

Choosing an account discovers its collections in a thread worker: the source's fill the
collection picker, the destination's are offered as target names. A route to SOGo (mailcow)
preselects the options it needs (`guidance`) and a line says why."""

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

from davtui.engine.connect import ConfigError
from davtui.engine.dav.presets import guess_server
from davtui.engine.errors import EngineError
from davtui.engine.jobs.run import spec_of
from davtui.engine.schema import check_job
from davtui.store import StoreError, Vault
from davtui.store.models import Account, Job
from davtui.tui.messages import CollectionsFound
from davtui.tui.widgets.collection_picker import CollectionPicker

WHAT = (("Calendars and contacts", "both"), ("Calendars", "calendars"), ("Contacts", "contacts"))
MODES = (("Copy: create and update", "copy"), ("Mirror: also delete what it copied", "mirror"),
         ("Sync: both ways", "sync"))  # fmt: skip
CONFLICTS = (("Skip and report", "skip"), ("Source wins", "source-wins"),
             ("Sync: the newer wins", "newer"), ("Sync: destination wins", "destination-wins"),
             ("Sync: keep both", "keep-both"), ("Sync: ask me", "ask"))  # fmt: skip
CHOICES = ("what", "mode", "conflict")
FLAGS = ("suppress_invitations", "default_collections", "dry_run")
#: The job keys this form fills, checked by the schema the CLI and the config file use.
FORM_KEYS = ("name", *CHOICES, *FLAGS, "collections")
# Sources whose default collections (`Calendar`, `Contacts`) map onto SOGo's `personal` ones.
ZIMBRA_LIKE = frozenset({"zimbra", "carbonio"})
SOGO_HINT = "SOGo e-mails attendees of imported events unless suppressed."
DEFAULTS_HINT = "SOGo e-mails attendees unless suppressed; Calendar → personal."


def server_of(account: Account | None) -> str | None:
    """The server an account is on: its preset, else what its last test or its URL tells."""
    if account is None:
        return None
    if account.preset not in (None, "", "other"):
        return account.preset
    found = (account.capabilities or {}).get("server")
    return found or guess_server(account.url, "", frozenset())


def guidance(source: Account | None, destination: Account | None) -> dict[str, bool]:
    """The options a route needs: a SOGo destination mails attendees on every PUT, and a
    Zimbra or Carbonio source's default collections belong in SOGo's default ones."""
    to_sogo = server_of(destination) == "sogo"
    return {
        "suppress_invitations": to_sogo,
        "default_collections": to_sogo and server_of(source) in ZIMBRA_LIKE,
    }


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
    default_collections: bool
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
        self._route = (job.source_id, job.destination_id) if job else (None, None)
        self._preselected: set[str] = set()  # options ticked by `_guide`, not by the user

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
                        # None (the destination decides) is kept as the box's value
                        job.suppress_invitations if job else False,  # type: ignore[arg-type]
                        id="suppress_invitations",
                        compact=True,
                    )
                    yield Checkbox(
                        "dry run", job.dry_run if job else False, id="dry_run", compact=True
                    )
                yield Label("Mapping")
                yield Checkbox(
                    "default collection → default collection",
                    job.default_collections if job else False,
                    id="default_collections",
                    compact=True,
                )
            yield Label("", id="guide")
            yield CollectionPicker(job.collections if job else (), id="collections")
            error = Label("", id="error")
            error.display = False  # its line is needed at 80x24 when the picker is full
            yield error
            with Horizontal(classes="buttons"):
                yield Button("Save ^s", variant="primary", id="save", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_hint(guidance(*self._accounts()))
        if self.job is not None:  # editing: show what the accounts hold now
            self.discover(self.job.source_id, "source")
            self.discover(self.job.destination_id, "destination")

    @on(Select.Changed, "#source")
    @on(Select.Changed, "#destination")
    def _account_chosen(self, event: Select.Changed) -> None:
        self._guide()
        if event.value is Select.NULL:
            return
        role = str(event.select.id)
        if role == "source":
            account = Account.get_or_none(id=event.value)
            self.query_one(CollectionPicker).searching(account.name if account else "the source")
        self.discover(int(event.value), role)  # type: ignore[call-overload]  # not NULL: an id

    def _route_ids(self) -> tuple[Any, Any]:
        def chosen(role: str) -> Any:
            value = self.query_one(f"#{role}", Select).value
            return None if value is Select.NULL else value

        return chosen("source"), chosen("destination")

    def _accounts(self) -> tuple[Account | None, Account | None]:
        source, destination = self._route_ids()
        return (
            None if source is None else Account.get_or_none(id=source),
            None if destination is None else Account.get_or_none(id=destination),
        )

    def _guide(self) -> None:
        """On a new route, tick what it needs and untick what an earlier route ticked; the
        user's own ticks, and an edited job's saved ones, stay."""
        if self._route_ids() == self._route:  # the Selects' own echo of their first value
            return
        self._route = self._route_ids()
        needs = guidance(*self._accounts())
        for name, wanted in needs.items():
            if wanted and not self.query_one(f"#{name}", Checkbox).value:
                self._preselected.add(name)
            elif not wanted and name in self._preselected:
                self._preselected.discard(name)
            else:
                continue
            with self.prevent(Checkbox.Changed):
                self.query_one(f"#{name}", Checkbox).value = wanted
        self._show_hint(needs)

    def _show_hint(self, needs: dict[str, bool]) -> None:
        hint = DEFAULTS_HINT if needs["default_collections"] else SOGO_HINT
        guide = self.query_one("#guide", Label)
        guide.update(hint)
        guide.display = needs["suppress_invitations"]

    @on(Checkbox.Changed, "#suppress_invitations")
    @on(Checkbox.Changed, "#default_collections")
    def _ticked_by_user(self, event: Checkbox.Changed) -> None:
        self._preselected.discard(str(event.checkbox.id))

    @work(thread=True, exit_on_error=False, group="picker")
    def discover(self, account_id: int, role: str) -> None:
        """List the account's collections (a thread: the network never blocks the form)."""
        from davtui.engine.connect import open_source  # the HTTP stack: not before it is used

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
        try:  # the same rules, and sentences, as the config file and `davtui job add`
            check_job(self._values(), "The job's", FORM_KEYS)
        except ConfigError as exc:
            return str(exc)
        return None

    def _values(self) -> dict[str, Any]:
        """The job keys as the form holds them now."""
        values: dict[str, Any] = {
            name: str(self.query_one(f"#{name}", Select).value) for name in CHOICES
        }
        values.update({name: self.query_one(f"#{name}", Checkbox).value for name in FLAGS})
        values["name"] = self.query_one("#name", Input).value.strip()
        values["collections"] = self.query_one(CollectionPicker).choices()
        return values

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        problem = self._problem()
        error = self.query_one("#error", Label)
        error.update(problem or "")
        error.display = problem is not None
        if problem is not None:
            self.call_after_refresh(error.scroll_visible)  # below a full picker at 80x24
            return

        def value(name: str) -> str:
            return str(self.query_one(f"#{name}", Select).value)

        self.dismiss(
            JobFields(
                **self._values(),
                source_id=int(value("source")),
                destination_id=int(value("destination")),
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
