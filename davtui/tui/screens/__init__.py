"""The screens and modals of the TUI, one per module."""

from davtui.tui.screens.account_form import AccountFields, AccountForm
from davtui.tui.screens.accounts import AccountsScreen
from davtui.tui.screens.confirm import ConfirmScreen
from davtui.tui.screens.fleet import FleetScreen
from davtui.tui.screens.help import HelpScreen
from davtui.tui.screens.job_form import JobFields, JobForm
from davtui.tui.screens.jobs import JobsScreen
from davtui.tui.screens.ledger import LedgerScreen
from davtui.tui.screens.logs import LogsScreen

__all__ = [
    "AccountFields",
    "AccountForm",
    "AccountsScreen",
    "ConfirmScreen",
    "FleetScreen",
    "HelpScreen",
    "JobFields",
    "JobForm",
    "JobsScreen",
    "LedgerScreen",
    "LogsScreen",
]
