"""Durations as people read them, one way for the TUI, the CLI and the reports: `2d04h`,
`1h02m`, `3m05s`, `42s` (at most two units, so an ETA column keeps its width)."""

from __future__ import annotations


def duration(seconds: float | None, unknown: str = "") -> str:
    """`seconds` in at most two units; `unknown` when there is no figure."""
    if seconds is None:
        return unknown
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 48:
        return f"{hours // 24}d{hours % 24:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
