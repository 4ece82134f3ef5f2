"""Reusable widgets of the TUI."""

from davtui.widgets.collection_picker import CollectionPicker
from davtui.widgets.job_detail import JobDetail
from davtui.widgets.log_view import LogView

__all__ = ["CollectionPicker", "JobDetail", "LogView"]
