"""The add/edit account modal: validates each field as it is typed and again on save.

It returns an `AccountFields` (or None when cancelled); the Accounts screen stores it, so the
password only ever leaves this form to be encrypted by the vault. For mailcow (SOGo), Zimbra
and Carbonio a Host row appears and the URL is filled from host and login until typed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Function, ValidationResult, Validator
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select

from davtui.engine.connect import ConfigError
from davtui.engine.dav.presets import preset_url
from davtui.engine.schema import check_account
from davtui.store.models import Account

# (label, stored preset, URL hint): the hint shows where each server keeps its DAV root.
PRESETS: tuple[tuple[str, str, str], ...] = (
    ("mailcow (SOGo)", "sogo", "https://mail.example.org/SOGo/dav/USER/"),
    ("Zimbra", "zimbra", "https://mail.example.org/dav/USER/"),
    ("Carbonio", "carbonio", "https://mail.example.org/dav/USER/"),
    ("Nextcloud", "nextcloud", "https://cloud.example.org/remote.php/dav/"),
    ("Radicale", "radicale", "https://dav.example.org/"),
    ("Xandikos", "xandikos", "https://dav.example.org/"),
    ("Fastmail", "fastmail", "https://caldav.fastmail.com/"),
    ("iCloud", "icloud", "https://caldav.icloud.com/"),
    ("Other", "other", "https://dav.example.org/ or a host name"),
    ("Local folder", "vdir", "a folder: ./backup/ (one file per item)"),
    ("Local file", "file", "a file: ./calendar.ics or ./contacts.vcf"),
)
#: The "servers" that are local storages: their value is the account kind, not a preset.
LOCAL_KINDS = ("vdir", "file")
PRESET_LABELS = {value: label for label, value, _hint in PRESETS}
# Presets whose DAV root is built from the server and the login -> discovery's path template.
GUIDED = {"sogo": "sogo", "zimbra": "zimbra", "carbonio": "zimbra"}


def guided_url(preset: str, host: str, login: str) -> str | None:
    """The DAV root a guided preset gives `login` on `host` (a host name or a URL), or None
    when the preset is not guided or a part is still missing."""
    if preset not in GUIDED or not host.strip() or not login.strip():
        return None
    return preset_url(host.strip(), GUIDED[preset], login.strip())


@dataclass(frozen=True)
class AccountFields:
    """What the form collected; `password` None means "keep the saved one"."""

    name: str
    preset: str
    url: str
    username: str
    password: str | None
    verify_tls: bool
    ca_file: str | None
    kind: str = "dav"


#: Who the schema's sentences name in this form: "The account's url ... is neither ...".
WHERE = "The account's"
#: The keys this form fills, checked by the same schema as the config file and the CLI.
FORM_KEYS = ("name", "url", "kind", "username", "verify_tls", "ca_file", "preset")


class SchemaUrl(Validator):
    """The schema's URL rule as the user types: an http(s) URL, a host or an e-mail address
    for a DAV account, a path for a local one; the failure is the schema's sentence."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def validate(self, value: str) -> ValidationResult:
        try:
            check_account({"url": value.strip(), "kind": self.kind}, WHERE, ("url", "kind"))
        except ConfigError as exc:
            return self.failure(str(exc))
        return self.success()


class AccountForm(ModalScreen[AccountFields | None]):
    """Add an account, or edit `account` (its password is kept unless a new one is typed)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, account: Account | None = None) -> None:
        super().__init__()
        self.account = account
        self._filled = ""  # the URL this form wrote; a different one was typed by hand

    @property
    def kind(self) -> str:
        """dav, or the local kind chosen under Server (an edited account keeps its kind)."""
        if self.account is not None:
            return self.account.kind
        chosen = str(self.query_one("#preset", Select).value)
        return chosen if chosen in LOCAL_KINDS else "dav"

    def _server_value(self) -> str:
        """The Server choice an account is shown with: its kind when local, else its preset."""
        account = self.account
        if account is None:
            return "other"
        return account.kind if account.kind in LOCAL_KINDS else (account.preset or "other")

    def _name_free(self, value: str) -> bool:
        query = Account.select().where(Account.name == value.strip())
        if self.account is not None:
            query = query.where(Account.id != self.account.id)
        return not query.exists()

    def compose(self) -> ComposeResult:
        account = self.account
        with Vertical(id="dialog", classes="form") as dialog:
            dialog.border_title = f"Edit account {account.name}" if account else "Add account"
            with Grid(classes="fields"):
                yield Label("Name")
                yield Input(
                    account.name if account else "",
                    placeholder="e.g. old-zimbra",
                    id="name",
                    compact=True,
                    validators=[
                        Function(lambda v: bool(v.strip()), "A name is required."),
                        Function(self._name_free, "Another account has this name."),
                    ],
                )
                yield Label("Server")
                yield Select(
                    [(label, value) for label, value, _hint in PRESETS],
                    value=self._server_value(),
                    allow_blank=False,
                    id="preset",
                    compact=True,
                )
                host = Input(
                    placeholder="mail.example.org: fills the URL with User",
                    id="host",
                    compact=True,
                    classes="guided",
                )
                for widget in (Label("Host", classes="guided"), host):
                    widget.display = False  # shown by the preset's Select.Changed
                    yield widget
                yield Label("URL")
                yield Input(
                    account.url if account else "",
                    id="url",
                    compact=True,
                    validators=[SchemaUrl(account.kind if account else "dav")],
                )
                yield Label("User", classes="remote")
                yield Input(
                    account.username if account else "",
                    id="username",
                    compact=True,
                    classes="remote",
                )
                yield Label("Password", classes="remote")
                yield Input(
                    classes="remote",
                    password=True,
                    placeholder="unchanged" if account is not None and account.secret else "",
                    id="password",
                    compact=True,
                )
                yield Label("TLS", classes="remote")
                yield Checkbox(
                    "verify certificates",
                    account.verify_tls if account else True,
                    id="verify_tls",
                    compact=True,
                    classes="remote",
                )
                yield Label("CA file", classes="remote")
                yield Input(
                    (account.ca_file or "") if account else "",
                    placeholder="optional: PEM bundle to trust",
                    id="ca_file",
                    compact=True,
                    classes="remote",
                )
            yield Label("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Save ^s", variant="primary", id="save", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)
        yield Footer(compact=True)

    @on(Select.Changed, "#preset")
    def _show_url_hint(self, event: Select.Changed) -> None:
        hints = {value: hint for _label, value, hint in PRESETS}
        self.query_one("#url", Input).placeholder = hints.get(str(event.value), "")
        guided = str(event.value) in GUIDED and self.account is None
        for widget in self.query(".guided"):
            widget.display = guided
        kind = self.kind
        self.query_one("#url", Input).validators = [SchemaUrl(kind)]  # a path, or a URL
        for widget in self.query(".remote"):
            widget.display = kind == "dav"  # a folder has no login and no TLS
        self._fill_url()

    @on(Input.Changed, "#host")
    @on(Input.Changed, "#username")
    def _fill_url(self) -> None:
        """Write the guided preset's URL while the URL is empty or still the one written here,
        so a URL typed by hand (and an edited account's URL) is never overwritten."""
        url = self.query_one("#url", Input)
        if url.value not in ("", self._filled):
            return
        preset = str(self.query_one("#preset", Select).value)
        host = self.query_one("#host", Input)
        found = guided_url(preset, host.value, self.query_one("#username", Input).value)
        if host.display and found is not None:
            url.value = self._filled = found
        elif url.value == self._filled:  # another preset, or a part erased: the hint shows
            url.value = self._filled = ""

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        problems = [
            message
            for field in self.query(Input)
            if (result := field.validate(field.value)) is not None
            for message in result.failure_descriptions
        ]
        fields = AccountFields(
            name=self.query_one("#name", Input).value.strip(),
            preset=str(self.query_one("#preset", Select).value),
            url=self.query_one("#url", Input).value.strip(),
            username=self.query_one("#username", Input).value.strip(),
            password=None,
            verify_tls=self.query_one("#verify_tls", Checkbox).value,
            ca_file=self.query_one("#ca_file", Input).value.strip() or None,
            kind=self.kind,
        )
        if not problems:
            values = {key: getattr(fields, key, None) for key in FORM_KEYS}
            if fields.kind in LOCAL_KINDS:  # "Local folder" is a kind, not a server preset
                values["preset"] = None
            try:
                check_account({**values, "kind": self.kind}, WHERE, FORM_KEYS)
            except ConfigError as exc:  # the sentence the CLI and the config file give
                problems.append(str(exc))
        error = self.query_one("#error", Label)
        error.update(problems[0] if problems else "")
        if problems:
            return
        password = self.query_one("#password", Input).value
        self.dismiss(
            replace(fields, password=password if password or self.account is None else None)
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
