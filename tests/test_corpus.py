"""Every file of both corpora through split, scan, content_hash and the fix-ups: the project's
own (tests/data/corpus, always) and the real-world one (../shared/corpus, when it is there).

`ok` files: every item migrates (no error), as many resources as the manifest counts UIDs
(plus one per item that split had to rename, which it says in a warning); files without any
calendar component (an empty VCALENDAR, a lone VTIMEZONE) give nothing and no error.
`broken` files: at least one ItemError naming the file, or an item sent with a warning (the
destination decides about a bad value). `invalid`: either, never a crash.
"""

from __future__ import annotations

import collections
import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from davtui.engine.errors import ItemError
from davtui.engine.items import fixups
from davtui.engine.items.compare import content_hash
from davtui.engine.items.scan import scan
from davtui.engine.items.split import Item, split
from tests.conftest import CORPUS, HAVE_CORPUS, OWN_CORPUS
from tests.contract import sample_event, sample_vcard


def manifest(root: Path) -> list[dict]:
    return json.loads((root / "manifest.json").read_text())["files"]


MANIFEST = manifest(CORPUS) if HAVE_CORPUS else []
#: (corpus root, manifest entry): the own corpus's ids start with `own:`, the shared one's
#: are its file names as before; the shared ones carry the `corpus` mark.
ENTRIES = [pytest.param(OWN_CORPUS, e, id=f"own:{e['file']}") for e in manifest(OWN_CORPUS)] + [
    pytest.param(CORPUS, e, id=e["file"], marks=pytest.mark.corpus) for e in MANIFEST
]
SUMMARY: collections.Counter[str] = collections.Counter()


def _check_item(item: Item) -> None:
    """A split item is one resource: scan agrees on the UID, hashing and fix-ups work."""
    info = scan(item.data, source="item")
    assert info.uid in (item.uid, None)
    content_hash(item.data)
    fixed, _ = fixups.apply(item.data)
    assert scan(fixed).uid == item.uid


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("root", "entry"), ENTRIES)
def test_corpus_file(root: Path, entry: dict) -> None:
    name, status = entry["file"], entry["status"]
    parts = list(split((root / name).read_bytes(), name))
    items = [p for p in parts if isinstance(p, Item)]
    errors = [p for p in parts if isinstance(p, ItemError)]
    assert len(items) + len(errors) == len(parts)
    SUMMARY[f"{status} files"] += 1
    SUMMARY[f"{status} items"] += len(items)
    SUMMARY[f"{status} errors"] += len(errors)
    for error in errors:
        assert name in str(error) and error.source == name
    for item in items:
        _check_item(item)
    if status == "broken":  # damage: a part cut off, or a value a server may still store
        assert errors or any(scan(item.data).warnings for item in items)
    if status != "ok":
        return
    assert errors == []
    if entry["components"]:
        assert items
    renamed = sum("renamed" in w for item in items for w in item.warnings)
    if name.startswith("ics/") and entry["distinct_uids"]:
        assert len(items) == entry["distinct_uids"] + renamed
    if name.startswith("vcf/"):
        assert len(items) == entry["components"].get("VCARD", 0)


def test_corpus_summary() -> None:
    """Runs after the files (pytest keeps file order): print one line with -s."""
    line = ", ".join(f"{k} {v}" for k, v in sorted(SUMMARY.items()))
    print(f"\ncorpora: {len(ENTRIES)} files; {line}")


ics_lines = st.sampled_from(
    [
        "BEGIN:VCALENDAR", "END:VCALENDAR", "BEGIN:VEVENT", "END:VEVENT", "BEGIN:VTODO",
        "END:VTODO", "BEGIN:VTIMEZONE", "END:VTIMEZONE", "BEGIN:VCARD", "END:VCARD",
        "UID:a", "UID:b", "UID:", "SUMMARY:x", "DTSTART;TZID=W. Europe Standard Time:20240101T1",
        "DTSTART:$now", "RECURRENCE-ID:20240101", "METHOD:REQUEST", "DURATION:PT1H",
        "DTEND:20240101", "ATTENDEE;CN=\"a:b\":mailto:x", "TZID:Europe/Paris", " folded",
        "N:a;b;;;", "PHOTO;ENCODING=b:AAAA", "ADR;QUOTED-PRINTABLE:a=", "garbage", "",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(ics_lines, st.text(max_size=30)), max_size=30),
    st.sampled_from(["\r\n", "\n", "\r"]),
    st.sampled_from(["utf-8", "latin-1", "utf-16"]),
)
@example(  # a damaged calendar-level property is reported once, not copied into its items
    ["BEGIN:VCALENDAR", "DTSTART;TZID=W. Europe Standard Time:20240101T1", "BEGIN:VEVENT",
     "END:VEVENT"], "\r\n", "utf-8",
)  # fmt: skip
def test_random_text_never_raises_anything_but_item_error(
    lines: list[str], eol: str, codec: str
) -> None:
    data = eol.join(lines).encode(codec, "replace")
    _survives(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40), st.integers(min_value=0, max_value=400), st.booleans())
def test_mutated_items_never_raise_anything_but_item_error(
    noise: bytes, where: int, card: bool
) -> None:
    base = sample_vcard("m") if card else sample_event("m")
    _survives(base[:where] + noise + base[where:])


def _survives(data: bytes) -> None:
    for part in split(data, "fuzz"):
        if isinstance(part, Item):
            _check_item(part)
    for call in (lambda: scan(data), lambda: fixups.apply(data, suppress_invitations=True)):
        with contextlib.suppress(ItemError):
            call()
    content_hash(data)
