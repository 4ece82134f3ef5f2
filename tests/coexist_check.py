"""The checker of a two-way pass in the coexistence test (`tests/coexist.py` makes the work):
it reads both sides back and compares every item with the workload's model by meaning (a
server's own rewrite is not a difference), counts every UID (none twice in a collection), checks
what keep-both kept and looks up every both-sides change in the ledgers of the pass."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from davtui.engine.items.scan import parsed
from tests.coexist import COLLECTIONS, Workload, meaning, uid_of


def check(
    workload: Workload, ledger: set[str] | None, same: Callable[[bytes], str] = meaning
) -> list[str]:
    """Every way the two sides differ from each other or from the model, in words (one line
    each, naming the item, the operation of the round and what each side held); [] when the
    pass converged. `ledger`: the UIDs the pass listed (after a killed pass, the recovering
    pass lists what the killed one resolved); None skips that check. `same`: what must be
    equal (`gist` where a server changes meaning on store, as SOGo does to attendees)."""
    problems: list[str] = []
    held: dict[str, dict[str, dict[str, bytes]]] = {}
    for logical in COLLECTIONS:
        for name, side in workload.sides.items():
            found = side.read(logical)
            counted = Counter(uid_of(data) for _, _, data in found)
            problems += [
                f"{name} {logical}: UID {uid} held {n} times" for uid, n in counted.items() if n > 1
            ]
            side.index[logical] = {uid_of(d) or h: (h, e) for h, e, d in found}
            held.setdefault(logical, {})[name] = {uid_of(d) or h: d for h, _, d in found}
        problems += _kept_both(workload, logical, held[logical], same)
        problems += _compare(workload, logical, held[logical], same)
    if ledger is not None:
        problems += [
            f"{c.logical} {c.uid} ({c.operation}) is not in the pass's ledger"
            for c in workload.conflicts
            if c.uid not in ledger
        ]
    return problems


def _compare(
    workload: Workload, logical: str, held: dict[str, dict[str, bytes]], same: Callable
) -> list[str]:
    model = workload.model[logical]
    why = {c.uid: c.operation for c in workload.conflicts if c.logical == logical}
    problems = []
    for uid in sorted(set(model) | set(held["a"]) | set(held["b"])):
        said = f"{logical} {uid} ({why.get(uid, 'one side')})"
        for name in "ab":
            mine = held[name].get(uid)
            if uid not in model:
                if mine is not None:
                    problems.append(f"{said}: {name} holds it, expected gone: {gist(mine)}")
            elif mine is None:
                problems.append(f"{said}: missing on {name}, expected {gist(model[uid])}")
            elif same(mine) != same(model[uid]):
                problems.append(f"{said}: {name} holds {gist(mine)}, expected {gist(model[uid])}")
    return problems


def _kept_both(
    workload: Workload, logical: str, held: dict[str, dict[str, bytes]], same: Callable
) -> list[str]:
    """keep-both: each both-sides update keeps one version under its UID (either) and the
    other under a new UID on both sides; both enter the model for the next rounds."""
    model, problems = workload.model[logical], []
    extras = sorted((set(held["a"]) & set(held["b"])) - set(model))
    for c in workload.conflicts:
        if c.logical != logical or c.winner is not None:
            continue
        kept = held["a"].get(c.uid)
        versions = {side: same(data) for side, data in c.versions.items() if data}
        winner = next((s for s, h in versions.items() if kept and same(kept) == h), None)
        if winner is None:
            problems.append(f"{logical} {c.uid} (keep-both): neither version kept under its UID")
            continue
        model[c.uid] = c.versions[winner] or b""
        loser = versions["b" if winner == "a" else "a"]
        for uid in extras:
            copy = held["a"][uid].replace(uid.encode(), c.uid.encode())
            if same(copy) == loser:
                model[uid] = held["a"][uid]
                extras.remove(uid)
                break
        else:
            problems.append(f"{logical} {c.uid} (keep-both): the other version is on no new UID")
    return problems


@lru_cache(maxsize=16384)
def gist(data: bytes) -> str:
    """What a person would recognise an item by: its SUMMARY or FN, SEQUENCE, REV, DTSTART
    (of the items themselves, not of a VTIMEZONE's rules), whatever their order."""
    shown = sorted(
        line.text.strip()
        for top in parsed(data).components
        for component in top.walk()
        if component.name in ("VEVENT", "VTODO", "VJOURNAL", "VCARD")
        for line in component.props
        if line.name in ("SUMMARY", "FN", "SEQUENCE", "REV", "DTSTART")
    )
    return "[" + "; ".join(shown) + "]"


def shapes(data: bytes) -> set[str]:
    """What kind of item `data` is, in the words of the SOGo proof: event, recurring,
    override, attendees (SOGo adds RSVP), alarm, task, vcard3 or vcard4."""
    found: set[str] = set()
    for top in parsed(data).components:
        if top.name == "VCARD":
            version = next((line.text for line in top.props if line.name == "VERSION"), "")
            found.add("vcard4" if "4.0" in version else "vcard3")
            continue
        for component in top.walk():
            names = {line.name for line in component.props}
            if component.name == "VTODO":
                found.add("task")
            elif component.name == "VALARM":
                found.add("alarm")
            elif component.name == "VEVENT":
                found.add("override" if "RECURRENCE-ID" in names else "event")
                found |= {"recurring"} if "RRULE" in names else set()
                found |= {"attendees"} if "ATTENDEE" in names else set()
    return found
