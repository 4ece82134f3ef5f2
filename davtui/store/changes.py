"""The change counter: how a TUI learns, cheaply, that another process changed the jobs.

Every write that changes what the jobs screen shows (a job added, edited or removed, a
lifecycle transition, a run starting or ending) calls `bump` inside its own transaction, so
the counter never moves before the change is visible. A TUI polls `current` (one small
SELECT) and rereads the jobs only when the number moved. Lease renewals do not bump: they
change nothing on screen.
"""

from __future__ import annotations

from davtui.store.models import Change


def bump() -> None:
    """Move the counter on; call it inside the transaction of the write it announces."""
    Change.update(counter=Change.counter + 1).execute()


def current() -> int:
    """The counter's value (0 on a database without its row)."""
    return Change.select(Change.counter).scalar() or 0
