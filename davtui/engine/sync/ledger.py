"""The run's ledger: one entry per source item that was not copied as sent and verified equal.

Entries come from two places, the act phase (fixed, skipped, refused, failed, conflict) and
the verification (converted, changed-by-server, missing), and from the item state for a
finding that still stands (an item verified earlier against the ETag the destination still
shows is not read again, but the admin must still see what was found then). They meet here,
keyed by collection and source href, so an item is listed once: with its gravest finding and
every detail found about it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from davtui.engine.sync.outcomes import GRAVITY, Finding

#: The fields of an entry, in the order the report shows them.
FIELDS = ("uid", "href", "collection", "kind", "summary", "outcome", "reason", "details")


def entry(
    outcome: Finding,
    collection: str | None,
    href: str | None,
    uid: str | None = None,
    kind: str | None = None,
    summary: str | None = None,
    reason: str | None = None,
    details: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One ledger entry as the report and the database hold it (`extra`: `kept`, `standing`)."""
    out: dict[str, Any] = {
        "uid": uid,
        "href": href,
        "collection": collection,
        "kind": kind,
        "summary": summary,
        "outcome": str(outcome),
        "reason": reason,
        "details": list(details or ()),
    }
    out.update((k, v) for k, v in extra.items() if v is not None)
    return out


class Ledger:
    """The entries of one run, safe to add to from the writer threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str | None, str | None], dict[str, Any]] = {}

    def add(self, new: dict[str, Any]) -> None:
        """Add an entry, or merge it into the item's entry: the graver outcome and its reason
        name the item, the details of both are kept; a fresh finding replaces a standing one."""
        key = (new["collection"], new["href"])
        with self._lock:
            old = self._entries.get(key)
            if old is None or (old.get("standing") and not new.get("standing")):
                self._entries[key] = new
                return
            graver, other = (new, old) if _rank(new) < _rank(old) else (old, new)
            merged = {**other, **{k: v for k, v in graver.items() if v is not None}}
            merged["details"] = _unique([*graver["details"], *other["details"]])
            for field in ("uid", "kind", "summary", "kept"):
                merged[field] = graver.get(field) or other.get(field)
            if not merged.get("kept"):
                merged.pop("kept", None)
            self._entries[key] = merged

    def drop_standing(self, collection: str | None, href: str) -> None:
        """Forget a standing finding: the item is checked again in this run."""
        with self._lock:
            found = self._entries.get((collection, href))
            if found is not None and found.get("standing"):
                del self._entries[(collection, href)]

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, gravest first, then by collection and href."""
        with self._lock:
            found = list(self._entries.values())
        return sorted(found, key=lambda e: (_rank(e), e["collection"] or "", e["href"] or ""))

    def counts(self) -> dict[str, int]:
        """Entries per outcome, every outcome named (0 when none)."""
        with self._lock:
            seen = Counter(e["outcome"] for e in self._entries.values())
        return {str(outcome): seen[outcome] for outcome in GRAVITY}

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _rank(item: dict[str, Any]) -> int:
    return GRAVITY.index(Finding(item["outcome"]))


def _unique(details: list[str]) -> list[str]:
    return list(dict.fromkeys(details))
