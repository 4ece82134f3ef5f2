"""File and folder names made from what a server says (collection names, UIDs), safe on disk.

A server chooses collection names and UIDs; a vdir turns them into folder and file names. A
name taken as is can escape the folder (`/`, `..`), hide (a leading `.`), break a tool (NUL,
control characters), or be refused: Linux file systems take at most 255 bytes per name, and
a 3000-character display name made a run end with "File name too long". So a name is:

- made of letters (any script), digits, `_`, `@`, `.` and `-`; every run of anything else is
  one `-` (path separators, NUL and control characters included);
- without a leading or trailing `.` or `-`: never `.` or `..`, never hidden, and no trailing
  dot (Windows drops it);
- never a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, also with an extension:
  `con.ics`). Linux does not care, but a vdir is often synced to a Windows or macOS machine,
  where such a file cannot be made: the name gets the hash suffix below;
- at most MAX_BYTES bytes of UTF-8, cut at a character boundary, with room left for a `-2`
  of a taken name or an extension. A shortened name ends with `-` and 8 hex digits of the
  SHA-256 of the whole original, so two long names with the same beginning stay apart.

The mapping is a pure function of the original: the same collection gets the same folder
name on every run, and the same UID the same file name.
"""

from __future__ import annotations

import hashlib
import re

from davtui.engine.items.scan import resource_name

#: Longest name made, in bytes of UTF-8 (file systems take 255): room for suffixes.
MAX_BYTES = 200
_UNSAFE = re.compile(r"[^\w@.-]+")
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10)]
)


def short_hash(text: str) -> str:
    """8 hex digits standing for `text`: the same on every run and every machine."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def reserved(name: str) -> bool:
    """A Windows device name, with or without an extension (`CON`, `nul.ics`, `Com1.txt`)."""
    return name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED


def _cut(text: str, limit: int) -> str:
    """At most `limit` bytes of `text` in UTF-8, never half a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _unreserved(name: str, original: str) -> str:
    """`name` with the hash of `original` after its first part (`nul.ics`: `nul-<hash>.ics`):
    Windows looks only at what comes before the first dot."""
    if not reserved(name):
        return name
    head, dot, rest = name.partition(".")
    return f"{head}-{short_hash(original)}{dot}{rest}"


def folder_name(name: str, fallback: str = "collection") -> str:
    """A folder name for a collection called `name` (see the module docstring)."""
    base = _unreserved(_UNSAFE.sub("-", name).strip(".-") or fallback, name)
    if len(base.encode("utf-8")) <= MAX_BYTES:
        return base
    suffix = "-" + short_hash(name)
    return _cut(base, MAX_BYTES - len(suffix)).rstrip(".-") + suffix


def item_name(uid: str, kind: str) -> str:
    """The file name of a new item: `resource_name` (the UID when it is short and plain, else
    a UUID made from it), with a hash where that would be a Windows device name."""
    return _unreserved(resource_name(uid, kind), uid)
