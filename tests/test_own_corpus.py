"""The project's own corpus (tests/data/corpus) is what its manifest says, covers the
real-world corpus's categories, and damage in one item spares its neighbours.

tests/test_corpus.py runs every file of it through split, scan, content_hash and the fix-ups;
tests/test_own_corpus_migration.py migrates it between real servers.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from davtui.engine.items.split import Item, split
from tests.conftest import OWN_CORPUS

ENTRIES = json.loads((OWN_CORPUS / "manifest.json").read_text())["files"]

#: The categories of the shared corpus's README the own corpus must keep covering.
REQUIRED_TAGS = {
    "vendor:exchange", "vendor:outlook", "vendor:google", "vendor:apple", "vendor:zimbra",
    "vendor:sogo", "vendor:mozilla", "vendor:kde", "vendor:evolution", "vendor:lotus-notes",
    "x:microsoft", "x:google", "x:apple", "x:wr", "x:mozilla", "x:lotus", "x:kde",
    "tz:windows-name", "tz:non-iana-tzid", "tz:tzid-without-vtimezone", "tz:floating",
    "tz:vtimezone", "allday", "recur:rrule", "recur:exdate", "recur:override",
    "recur:override-without-master", "comp:todo", "comp:journal", "comp:freebusy", "alarm",
    "sched:attendees", "sched:itip-method", "uid:missing", "uid:duplicate",
    "lines:over-998-octets", "enc:utf8-bom", "enc:non-utf8", "enc:utf-16", "eol:lf-only",
    "eol:cr-only", "eol:mixed", "vcard:2.1", "vcard:3.0", "vcard:4.0", "qp", "photo:inline",
    "group", "broken:structure", "broken:no-vcalendar-wrapper", "broken:garbage",
    "broken:empty", "broken:template-placeholders",
}  # fmt: skip


def test_files_are_the_manifests_byte_for_byte() -> None:
    """Every listed file is there with its recorded sha256 (no line-ending or encoding
    conversion by git or an editor), and nothing unlisted hides beside them."""
    listed = {entry["file"] for entry in ENTRIES}
    present = {str(p.relative_to(OWN_CORPUS)) for p in OWN_CORPUS.glob("*/*/*") if p.is_file()}
    assert present == listed
    for entry in ENTRIES:
        data = (OWN_CORPUS / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]


def test_covers_the_categories_and_statuses() -> None:
    tags = {tag for entry in ENTRIES for tag in entry["tags"]}
    assert tags >= REQUIRED_TAGS, sorted(REQUIRED_TAGS - tags)
    statuses = [entry["status"] for entry in ENTRIES]
    assert statuses.count("invalid") >= 8 and statuses.count("broken") >= 8
    assert 40 <= len(ENTRIES) <= 100


def test_damage_spares_the_good_items_beside_it() -> None:
    """The well-formed neighbour of a damaged item (UID good-...) always comes out whole."""
    checked = 0
    for entry in (e for e in ENTRIES if e["status"] != "ok"):
        data = (OWN_CORPUS / entry["file"]).read_bytes()
        good = {line.split(b":", 1)[1].strip().decode() for line in data.splitlines()
                if line.startswith(b"UID:good-")}  # fmt: skip
        items = {part.uid for part in split(data, entry["file"]) if isinstance(part, Item)}
        assert good <= items, entry["file"]
        checked += len(good)
    assert checked >= 4


def test_make_corpus_writes_these_very_files(tmp_path: Path) -> None:
    """The generator, run afresh, writes the committed manifest (hence the same bytes)."""
    for script in OWN_CORPUS.glob("*.py"):
        shutil.copy(script, tmp_path)
    done = subprocess.run(
        [sys.executable, str(tmp_path / "make_corpus.py")], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "manifest.json").read_text() == (OWN_CORPUS / "manifest.json").read_text()
