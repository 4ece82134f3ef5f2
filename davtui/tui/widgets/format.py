"""Small text formatters shared by the screens: times, durations, counts, status badges."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

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
# A finished dry run's word: it wrote nothing, so it must not read like a finished copy.
DRY_RUN_LABEL = {"completed": "dry run done", "completed_with_errors": "dry errors"}


def as_datetime(value: datetime | str | None) -> datetime | None:
    """Peewee returns stored aware datetimes as ISO text on SQLite; accept both."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored UTC time in the local time zone, by default to the second."""
    moment = as_datetime(value)
    return "" if moment is None else moment.astimezone().strftime(fmt)


def duration(seconds: float | None) -> str:
    """`1h02m`, `3m05s`, `42s`; empty when unknown."""
    if seconds is None:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def badge(status: str, theme: dict[str, str], dry_run: bool = False) -> Text:
    """The job status as a short word in its theme colour (`theme`: the app's variables);
    `dry_run`: the status is that of a dry run."""
    label = {"completed_with_errors": "errors", "completed": "done"}.get(status, status)
    label = DRY_RUN_LABEL.get(status, label) if dry_run else label
    color = STATUS_COLOR.get(status)
    return Text(label, style=f"bold {theme[color]}" if color else "")


def bar(done: int, total: int, width: int = 8) -> str:
    """A text progress bar with its percentage, for a table cell."""
    if total <= 0:
        return ""
    fraction = min(done / total, 1.0)
    filled = int(fraction * width)
    return "█" * filled + "░" * (width - filled) + f" {round(fraction * 100):3d}%"
