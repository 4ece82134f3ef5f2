"""Small text formatters shared by the screens: times, durations, counts, status badges."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from davtui.engine.jobs.lifecycle import words

# Status -> the theme variable its badge is drawn in (None: the normal text colour).
STATUS_COLOR: dict[str, str | None] = {
    "pending": None,
    "queued": "accent",
    "running": "primary",
    "paused": "warning",
    "completed": "success",
    "completed_with_errors": "warning",
    "failed": "error",
    "cancelled": None,
    "interrupted": "error",
}
#: Where a cell is too narrow for "completed with errors": its tail, in the warning colour
#: (the detail panel below spells it out). ASCII: an emoji's width differs between terminals.
SHORT = {"completed with errors": "with errors"}


def as_datetime(value: datetime | str | None) -> datetime | None:
    """Peewee returns stored aware datetimes as ISO text on SQLite; accept both."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored UTC time in the local time zone, by default to the second."""
    moment = as_datetime(value)
    return "" if moment is None else moment.astimezone().strftime(fmt)


def status_label(status: str, dry_run: bool = False, width: int | None = None) -> str:
    """The lifecycle's name of a state, as the CLI and the logs say it ("completed with
    errors"); a dry run's end says so (it wrote nothing: it must not read like a finished
    copy); within `width` cells, the shorter forms ("with errors", "dry completed")."""
    said = words(status)
    if dry_run and status not in ("running", "paused"):
        said = f"dry run {said}"
    if width is None or len(said) <= width:
        return said
    said = said.replace("dry run ", "dry ", 1)
    for long, short in SHORT.items():
        said = said.replace(long, short)
    return said


def badge(
    status: str, theme: dict[str, str], dry_run: bool = False, width: int | None = None
) -> Text:
    """The job status in its theme colour (`theme`: the app's variables); `dry_run`: the status
    is that of a dry run; `width`: the cells it has (see `status_label`)."""
    color = STATUS_COLOR.get(status)
    label = status_label(status, dry_run, width)
    return Text(label, style=f"bold {theme[color]}" if color else "")


def bar(done: int, total: int, width: int = 8) -> str:
    """A text progress bar with its percentage, for a table cell."""
    if total <= 0:
        return ""
    fraction = min(done / total, 1.0)
    filled = int(fraction * width)
    return "█" * filled + "░" * (width - filled) + f" {round(fraction * 100):3d}%"
