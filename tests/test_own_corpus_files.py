"""Own-corpus files migrated as they are, each as a file account, into a real Xandikos.

A CalDAV server cannot hold some of the quirks (tests/test_own_corpus_migration.py pins which
ones Radicale refuses): items without UID, raw UTF-16/BOM/Latin-1 bytes, CR-only lines, DTEND
with DURATION. Read from a file, they go through davtui's own split and fix-ups on the way to
the server: every item must be created and verify. Damaged files end the run with per-item
errors (exit 1) or warnings, never with a crash or a usage error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from davtui.engine.items.split import Item, split
from tests import dav
from tests.conftest import OWN_CORPUS
from tests.servers import Server
from tests.test_own_corpus_migration import RADICALE_REFUSES

pytestmark = pytest.mark.timeout(300)

ENTRIES = json.loads((OWN_CORPUS / "manifest.json").read_text())["files"]
KINDS = ("events", "tasks", "journals", "contacts", "other")

#: Xandikos stores these in another form of the same meaning: a VFREEBUSY's comma list as one
#: FREEBUSY line per period, a TZID=Etc/GMT local time as UTC (`...T010000Z`). Verification
#: must call them converted (exit 0), not different.
VERIFY_DISAGREES = ["ics/tasks/freebusy.ics", "ics/zimbra/etc-gmt-zero-offsets.ics"]

#: Xandikos refuses these with 412 and a precondition (valid-calendar-data: CR-only or mixed
#: line endings, which no fix-up normalises; valid-address-data: a quoted-printable soft line
#: break, two N of one ALTID), and davtui takes that 412 for "this UID exists already": the
#: item is counted a conflict, the run exits 0, and the item is not at the destination.
XANDIKOS_REFUSES = [
    "ics/lines/folded-cr.ics", "ics/lines/folded-mixed.ics",
    "vcf/vcard21/quoted-printable.vcf", "vcf/vcard40/altid-pref.vcf",
]  # fmt: skip


def migrate_file(name: str, destination: str, work: Path) -> tuple[int, dict, str]:
    """`davtui migrate` of one corpus file (a file account) into `destination`."""
    work.mkdir(parents=True)
    config = work / "job.toml"
    config.write_text(
        f'[source]\nurl = "{OWN_CORPUS / name}"\nkind = "file"\n'
        f'[destination]\nurl = "{destination}"\nusername = "alice"\npassword_env = "DST_PASS"\n'
        "[job]\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(work / "db"), "migrate", str(config),
         "--json"],
        capture_output=True, text=True, env={**os.environ, "DST_PASS": "x"}, timeout=120,
    )  # fmt: skip
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, report, done.stderr


def created(report: dict) -> int:
    return sum(report["stats"][kind]["created"] for kind in KINDS)


def test_quirks_a_server_cannot_hold_arrive_from_files(
    fresh_xandikos: Server, tmp_path: Path
) -> None:
    names = sorted(
        {e["file"] for e in ENTRIES if e["status"] == "ok" and e["file"].startswith("ics/lines/")}
        | RADICALE_REFUSES
    )
    names = [n for n in names if n not in VERIFY_DISAGREES + XANDIKOS_REFUSES]
    problems = []
    for number, name in enumerate(names):
        items = [p for p in split((OWN_CORPUS / name).read_bytes(), name) if isinstance(p, Item)]
        code, report, stderr = migrate_file(name, fresh_xandikos.url, tmp_path / str(number))
        if code != 0 or report["errors"] or created(report) != len(items):
            problems.append(f"{name}: exit {code}, {report.get('errors')} {stderr[-300:]}")
        elif not report["verification"]["ok"]:
            problems.append(f"{name}: {report['verification']}")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_damaged_files_end_in_item_errors_not_a_crash(
    fresh_xandikos: Server, tmp_path: Path
) -> None:
    names = [e["file"] for e in ENTRIES if e["status"] != "ok"]
    for number, name in enumerate(names):
        code, report, stderr = migrate_file(name, fresh_xandikos.url, tmp_path / str(number))
        assert code in (0, 1) and "Traceback" not in stderr, (name, code, stderr[-2000:])
        assert all(error["reason"] for error in report["errors"]), name
        assert (code == 1) == bool(report["errors"]), (name, code, report["errors"])


@pytest.mark.parametrize("name", VERIFY_DISAGREES)
def test_verification_agrees_with_what_xandikos_stored(
    name: str, fresh_xandikos: Server, tmp_path: Path
) -> None:
    code, report, _ = migrate_file(name, fresh_xandikos.url, tmp_path / "run")
    assert created(report) == 1 and not report["errors"]  # the item did arrive
    assert code == 0, report["verification"]
    assert report["verification"]["converted"] == 1, report["verification"]


@pytest.mark.parametrize("name", XANDIKOS_REFUSES)
def test_an_item_the_server_refuses_is_reported_failed(
    name: str, fresh_xandikos: Server, tmp_path: Path
) -> None:
    """Either the item arrives (a fix-up made it acceptable) or the run says it failed."""
    code, report, _ = migrate_file(name, fresh_xandikos.url, tmp_path / "run")
    home = "calendars" if name.startswith("ics/") else "contacts"
    stored = dav.listing(f"{fresh_xandikos.url}alice/{home}/{Path(name).stem}/")
    assert (code == 1 and report["errors"]) or (code == 0 and stored), report["stats"]
