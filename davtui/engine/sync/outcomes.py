"""The words a run uses for what happened to an item, typed once.

`Outcome` is what the engine did with one source item (the item state stores it, the events
carry it); `Finding` is the ledger's word for an item that was not simply copied as sent and
verified equal (DESIGN.md section 4, step 7). Both are `StrEnum`s, so they compare equal to
the plain words stored in the database and written in the JSON report, which stay unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What the engine did with one source item in a run."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ADOPTED = "adopted"  # the destination held the same content already
    SKIPPED = "skipped"
    CONFLICT = "conflict"
    REFUSED = "refused"
    FAILED = "failed"
    DELETED = "deleted"
    #: stored only, set by `job resolve`: the source's version overwrites the destination's
    #: on the next run (conditional on the ETag the conflict was seen at)
    RESOLVED = "resolved"
    #: stored only, set by `job resolve`: the destination's version is accepted; reported
    #: again only when either side changes
    ACCEPTED = "accepted"


class Finding(StrEnum):
    """A ledger entry's outcome: why an item is listed for the admin who signs the run off."""

    FIXED = "fixed"  # sent after named fix-ups (each listed with what it changed)
    CONVERTED = "converted"  # the server stored another form of the same meaning
    CHANGED = "changed-by-server"  # the server changed the meaning: sent vs stored
    SKIPPED = "skipped"
    REFUSED = "refused"
    FAILED = "failed"
    CONFLICT = "conflict"
    MISSING = "missing"
    #: two-way sync: a conflict settled by the job's policy, or a deletion overruled by a
    #: change on the other side (listed, not an error)
    RESOLVED = "resolved"


#: Findings that say the destination does not hold what was sent (exit code 6).
ALARMS = frozenset({Finding.MISSING, Finding.CHANGED})
#: Findings about items that were not copied (exit code 1).
NOT_COPIED = frozenset({Finding.SKIPPED, Finding.REFUSED, Finding.FAILED, Finding.CONFLICT})
#: When two findings concern one item, the graver one names it (first here is gravest).
GRAVITY = (
    Finding.MISSING,
    Finding.CHANGED,
    Finding.FAILED,
    Finding.REFUSED,
    Finding.CONFLICT,
    Finding.SKIPPED,
    Finding.CONVERTED,
    Finding.FIXED,
    Finding.RESOLVED,
)
