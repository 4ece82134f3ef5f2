"""The screens and modals of the TUI, one per module."""

from davtui.screens.account_form import AccountFields, AccountForm
from davtui.screens.accounts import AccountsScreen
from davtui.screens.confirm import ConfirmScreen
from davtui.screens.job_form import JobFields, JobForm
from davtui.screens.jobs import JobsScreen
from davtui.screens.logs import LogsScreen

__all__ = [
    "AccountFields",
    "AccountForm",
    "AccountsScreen",
    "ConfirmScreen",
    "JobFields",
    "JobForm",
    "JobsScreen",
    "LogsScreen",
]
