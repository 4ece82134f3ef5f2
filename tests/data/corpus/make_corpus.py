"""Write the project's own corpus: every file the spec_*.py modules describe, and manifest.json.

Run from anywhere: `python tests/data/corpus/make_corpus.py`. The output is committed; a test
checks that the committed bytes still match the manifest's sha256 (no line-ending or encoding
conversion on the way). The manifest's `components` and `distinct_uids` are counted here by a
plain line scan, independent of davtui's parser, so the tests compare davtui against it; the
`icalendar`/`vobject` fields say whether those libraries read the file's text (decoded, CRLF
line endings); where an `ok` file fails there, its note says why davtui must still take it.
"""

from __future__ import annotations

import collections
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import spec_cards  # noqa: E402
import spec_damage  # noqa: E402
import spec_groupware  # noqa: E402
import spec_items  # noqa: E402
import spec_vendors  # noqa: E402
from spec import Spec  # noqa: E402

SPECS: list[Spec] = [*spec_vendors.FILES, *spec_groupware.FILES, *spec_items.FILES,
                     *spec_cards.FILES, *spec_damage.FILES]  # fmt: skip


def _text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if len(data) > 1 and data[1] == 0 and data[0] != 0:
        return data.decode("utf-16-le", "replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    return data.decode("utf-8", "replace")


def _normal(data: bytes) -> str:
    """The text with CRLF line endings: the reference parsers judge the content, not the
    transport (they read neither UTF-16 bytes nor CR-only line endings)."""
    return "\r\n".join(re.split(r"\r\n|\n|\r", _text(data)))


def count(data: bytes) -> tuple[dict[str, int], int]:
    """(items per component name, distinct UIDs): components directly inside a VCALENDAR
    but VTIMEZONE, top-level VCARDs, and bare top-level components."""
    physical = re.split(r"\r\n|\n|\r", _text(data))
    unfolded: list[str] = []
    for line in physical:
        if line[:1] in (" ", "\t") and unfolded:
            unfolded[-1] += line[1:]
        else:
            unfolded.append(line)
    stack: list[str] = []
    components: collections.Counter[str] = collections.Counter()
    uids: set[str] = set()
    for line in unfolded:
        key, _, value = line.partition(":")
        key, value = key.upper(), value.strip().upper()
        if key == "BEGIN":
            inside = stack == ["VCALENDAR"] and value != "VTIMEZONE"
            if inside or (not stack and value != "VCALENDAR"):
                components[value] += 1
            stack.append(value)
        elif key == "END" and value in stack:
            while stack and stack.pop() != value:
                pass
        elif key == "UID" and (stack[:1] == ["VCALENDAR"]) == (len(stack) == 2):
            uids.add(line.partition(":")[2].strip())
    return dict(components), len(uids)


def _reference(spec: Spec) -> dict[str, str]:
    """What icalendar (calendars) or vobject (vCards) makes of the file."""
    result: dict[str, str] = {}
    try:
        if spec.path.startswith("ics/"):
            import icalendar

            icalendar.Calendar.from_ical(_normal(spec.data), multiple=True)
            result["icalendar"] = "ok"
        else:
            import vobject

            list(vobject.readComponents(_normal(spec.data)))
            result["vobject"] = "ok"
    except Exception as exc:  # any failure is the finding being recorded
        result["icalendar" if spec.path.startswith("ics/") else "vobject"] = (
            f"FAIL:{type(exc).__name__}"
        )
    return result


def entry(spec: Spec) -> dict:
    components, distinct = count(spec.data)
    return {
        "file": spec.path, "status": spec.status, "tags": list(spec.tags),
        "components": components, "distinct_uids": distinct, "size": len(spec.data),
        "sha256": hashlib.sha256(spec.data).hexdigest(), **_reference(spec), "note": spec.note,
    }  # fmt: skip


def main() -> None:
    paths = [spec.path for spec in SPECS]
    assert len(paths) == len(set(paths)), "two specs write the same file"
    for old in [*HERE.glob("ics/*/*"), *HERE.glob("vcf/*/*")]:
        old.unlink()
    for spec in SPECS:
        target = HERE / spec.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(spec.data)
    manifest = {
        "description": "The project's own corpus (see README.md): written by make_corpus.py.",
        "files": [entry(spec) for spec in SPECS],
    }
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    statuses = collections.Counter(spec.status for spec in SPECS)
    print(f"{len(SPECS)} files: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))


if __name__ == "__main__":
    main()
