"""The Accounts screen: the logins davtui knows, their last connection test, add/edit/delete.

"Test connection" runs the engine's discovery in a thread worker (the network never blocks
the UI) and records the outcome on the account, so the table shows it next time too.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import Worker, WorkerState

from davtui.engine.jobs.lifecycle import Refused, check_account_removable, remove_account
from davtui.store import StoreError, Vault
from davtui.store.models import Account
from davtui.tui.messages import DiscoveryDone
from davtui.tui.screens.account_form import (
    LOCAL_KINDS,
    PRESET_LABELS,
    AccountFields,
    AccountForm,
)
from davtui.tui.screens.confirm import ConfirmScreen
from davtui.tui.widgets.format import local_time
from davtui.tui.widgets.keys_footer import KeysFooter
from davtui.tui.widgets.steady_table import SteadyTable


class AccountsScreen(Screen[None]):
    """Accounts table with a detail line for the selected account."""

    BINDINGS = [
        Binding("a", "add", "Add", id="account.add"),
        Binding("n", "add", "Add", show=False),  # "new", as on the Jobs screen
        Binding("e", "edit", "Edit", id="account.edit"),
        Binding("t", "test", "Test connection", id="account.test"),
        Binding("d", "delete", "Delete", id="account.delete"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[Any] = SteadyTable(id="accounts", cursor_type="row", zebra_stripes=True)
        table.add_columns("Name", "Server", "User", "Last test", "URL")
        yield table
        yield Static(id="account-detail", classes="detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        """Back on this screen: other processes (the CLI, a headless runner) may have written."""
        self.reload()

    def reload(self, select: int | None = None) -> None:
        """Reread every account (there are few), keeping or moving the cursor."""
        table = self.query_one(DataTable)
        current = select if select is not None else self.selected_id()
        table.clear()
        for account in Account.select().order_by(Account.name):
            tested = {None: "never", True: "ok", False: "failed"}[account.last_test_ok]
            table.add_row(
                account.name,
                PRESET_LABELS.get(
                    account.kind if account.kind in LOCAL_KINDS else account.preset or "other",
                    account.preset,
                ),
                account.username,
                tested,
                account.url,
                key=str(account.id),
            )
        if current is not None and str(current) in table.rows:
            table.move_cursor(row=table.get_row_index(str(current)))
        self.show_detail()
        self.refresh_bindings()

    def selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)

    def selected(self) -> Account | None:
        account_id = self.selected_id()
        return None if account_id is None else Account.get_or_none(Account.id == account_id)

    def show_detail(self) -> None:
        account = self.selected()
        detail = self.query_one("#account-detail", Static)
        if account is None:
            detail.update(
                "No accounts yet: press [b]a[/] to add one (a server, or a local folder),"
                " then the one you migrate to."
            )
        elif account.last_test_at is None:
            detail.update(f"[b]{account.name}[/]: not tested yet, press [b]t[/].")
        else:
            result = "[$success]ok[/]" if account.last_test_ok else "[$error]failed[/]"
            when = local_time(account.last_test_at)
            detail.update(f"[b]{account.name}[/]: {result} at {when}: {account.last_test_message}")

    @on(DataTable.RowHighlighted)
    def _row_moved(self) -> None:
        self.show_detail()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "test", "delete"):  # hidden, not greyed: no account, no key
            return self.selected_id() is not None
        return True

    def action_add(self) -> None:
        self.app.push_screen(AccountForm(), lambda fields: self.save(None, fields))

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        account = self.selected()
        if account is not None:
            self.app.push_screen(AccountForm(account), lambda f: self.save(account, f))

    def save(self, account: Account | None, result: AccountFields | None) -> None:
        """Store the form's result; the password goes through the vault and nowhere else."""
        if result is None:
            return
        account = account or Account(kind=result.kind)
        account.name, account.url, account.username = result.name, result.url, result.username
        account.preset = None if result.preset in ("other", *LOCAL_KINDS) else result.preset
        account.verify_tls, account.ca_file = result.verify_tls, result.ca_file
        try:
            if result.password is not None:
                account.secret = Vault.open().encrypt(result.password) if result.password else None
        except StoreError as exc:
            self.notify(str(exc), title="Password not saved", severity="error")
            return
        account.save()
        self.reload(select=account.id)
        self.notify(f"Saved account {account.name}.")

    def action_delete(self) -> None:
        account = self.selected()
        if account is None:
            return
        try:
            check_account_removable(account)
        except Refused as exc:
            self.app.push_screen(ConfirmScreen("Cannot delete", str(exc), allowed=False))
            return
        question = f"Delete account {account.name}? No job uses it."

        def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                remove_account(account)  # checked again: a job may use it by now
            except Refused as exc:
                self.notify(str(exc), title="Not deleted", severity="error")
                return
            self.reload()
            self.notify(f"Deleted account {account.name}.")

        self.app.push_screen(ConfirmScreen("Delete account", question, yes="Delete"), done)

    def action_test(self) -> None:
        account_id = self.selected_id()
        if account_id is not None:
            self.query_one("#account-detail", Static).update("Testing the connection...")
            self.test_connection(account_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="discovery")
    def test_connection(self, account_id: int) -> None:
        """Discover the account's server and record the result (runs in a thread)."""
        from davtui.engine.jobs.probe import test_account

        discovery, problem = test_account(account_id)
        error = str(problem) if problem else None
        self.post_message(DiscoveryDone(account_id, discovery, error))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug, not a network error, ended the test: say so instead of waiting forever."""
        if event.state == WorkerState.ERROR:
            self.show_detail()
            self.notify(str(event.worker.error), title="Connection test failed", severity="error")

    def on_discovery_done(self, message: DiscoveryDone) -> None:
        self.reload(select=message.account_id)
        if message.error:
            self.notify(message.error, title="Connection failed", severity="error")
        else:
            from davtui.engine.jobs.probe import describe

            self.notify(describe(message.discovery), title="Connection works")
