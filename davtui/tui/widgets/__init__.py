"""Reusable widgets of the TUI."""

from davtui.tui.widgets.collection_picker import CollectionPicker
from davtui.tui.widgets.job_detail import JobDetail
from davtui.tui.widgets.log_view import LogView

__all__ = ["CollectionPicker", "JobDetail", "LogView"]
