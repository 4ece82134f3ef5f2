"""The normal form of one content line, for the content hash: equal for two spellings of the
same meaning, different when the meaning differs.

Pure string functions (no item parsing) so that `compare` and `fixups` use them without a cycle.
What is normalised, and which server made it necessary:
- parameters: name case, order, quoting, `TYPE=A,B` vs `TYPE=A;TYPE=B`, vCard 2.1 bare
  values, `\\\\` doubled in a value (Xandikos halves Apple's `X-ADDRESS=...\\\\n...`);
  SCHEDULE-STATUS and SCHEDULE-FORCE-SEND are dropped: the server owns them (RFC 6638);
  so are parameters that spell out the RFC default (SOGo adds PARTSTAT=NEEDS-ACTION, vobject
  drops VALUE=DURATION) and vobject's X-VOBJ-FLOATINGTIME-ALLOWED (Radicale).
- escapes: `\\N` is `\\n`; a backslash before a character that needs none is dropped (SOGo:
  `http\\://`); `\\;` is `;` outside structured values (vobject, SOGo in GENDER and
  CLIENTPIDMAP); `\\,` is `,` in single-value text (FN, SUMMARY: the comma must be escaped,
  some writers do not).
- a TZID on UTC times (`TZID=X:...T120000Z`): invalid, read as UTC, as the fix-up sends it.
- per property: an empty value (SOGo drops `PHOTO:`), CLASS:PUBLIC in a calendar (the
  default, SOGo adds it), the CN of ORGANIZER/ATTENDEE (SOGo puts its directory's name),
  empty trailing parts of N/ADR/ORG (SOGo), the order of RRULE parts (SOGo), base64 spacing.
- GEO numerically (Xandikos: `+51.7` -> `51.7`, `1\\;2` -> `1;2`, `;` -> `\\;`); durations
  as (days, seconds) (Xandikos: `PT0S` -> `P0D`; P1D stays distinct from PT24H, RFC 5545).
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

_ESCAPE = re.compile(r"\\(.)")
_SPACE = re.compile(r"\s+")
_DURATION = re.compile(
    r"([+-]?)P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.IGNORECASE
)
_DAY = re.compile(r"\d{8}")
UTC_TIMES = re.compile(r"\d{8}T\d{6}Z(?:,\d{8}T\d{6}Z)*")
_ENCODINGS = {"BASE64": "B", "B": "B", "QUOTED-PRINTABLE": "QUOTED-PRINTABLE", "8BIT": "8BIT",
              "7BIT": "7BIT"}  # fmt: skip
_BARE_VALUES = frozenset({"INLINE", "URL", "CONTENT-ID", "CID"})
_CASELESS_PARAMS = frozenset(
    {"TYPE", "VALUE", "ENCODING", "CHARSET", "CUTYPE", "ROLE", "PARTSTAT", "RSVP", "RELATED",
     "RANGE", "FBTYPE", "RELTYPE", "SCHEDULE-AGENT"}
)  # fmt: skip
# SCHEDULE-*: the server owns them (RFC 6638); X-VOBJ-*: vobject's (Radicale) internal marker
_SERVER_PARAMS = frozenset(
    {"SCHEDULE-STATUS", "SCHEDULE-FORCE-SEND", "X-VOBJ-FLOATINGTIME-ALLOWED"}
)
#: Parameters spelling out an RFC 5545 default (SOGo adds PARTSTAT=NEEDS-ACTION; vobject drops
#: VALUE=DURATION from TRIGGER): the same meaning as leaving them out.
_DEFAULT_PARAMS = {
    "ATTENDEE": frozenset({"PARTSTAT=NEEDS-ACTION", "RSVP=FALSE", "ROLE=REQ-PARTICIPANT",
                           "CUTYPE=INDIVIDUAL"}),
    "ORGANIZER": frozenset({"CUTYPE=INDIVIDUAL"}),
    "TRIGGER": frozenset({"VALUE=DURATION", "RELATED=START"}),
}  # fmt: skip
_STRUCTURED = frozenset({"N", "ADR", "ORG", "REQUEST-STATUS"})
_LISTS = frozenset({"CATEGORIES", "NICKNAME", "RESOURCES", "FREEBUSY"})
_TRIMMED = frozenset({"N", "ADR", "ORG"})
_RULES = frozenset({"RRULE", "EXRULE"})
_PEOPLE = frozenset({"ORGANIZER", "ATTENDEE"})
_DURATIONS = frozenset({"DURATION", "TRIGGER", "REFRESH-INTERVAL"})


def split_outside_quotes(text: str, sep: str) -> list[str]:
    """`text` split at `sep`, except inside double quotes."""
    if '"' not in text:
        return text.split(sep) if text else []
    parts, start, quoted = [], 0, False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            parts.append(text[start:index])
            start = index + 1
    return [*parts, text[start:]]


def bare_name(value: str) -> str:
    """The name of a vCard 2.1 parameter given bare (`TEL;WORK`, `NOTE;QUOTED-PRINTABLE`)."""
    upper = value.strip().upper()
    if upper in _ENCODINGS and upper != "B":
        return "ENCODING"
    return "VALUE" if upper in _BARE_VALUES else "TYPE"


@functools.lru_cache(maxsize=4096)
def params(text: str) -> tuple[str, ...]:
    """Parameters normalised: names upper-case, values unquoted and sorted, bare ones as TYPE.
    Cached: an account's items repeat a few parameter lists (TZIDs, PARTSTATs, TYPEs)."""
    values: dict[str, list[str]] = {}
    for param in split_outside_quotes(text, ";"):
        name, equals, value = param.partition("=")
        name, value = (name.strip().upper(), value) if equals else (bare_name(name), name)
        if name in _SERVER_PARAMS:
            continue
        if name in ("TYPE", "ENCODING") and value.upper() in _ENCODINGS:  # vCard 2.1 bare
            name, value = "ENCODING", _ENCODINGS[value.upper()]
        if name in _CASELESS_PARAMS:
            value = value.upper()
        parts = (v.strip('"').replace("\\\\", "\\") for v in split_outside_quotes(value, ","))
        values.setdefault(name, []).extend(parts)
    return tuple(f"{name}={','.join(sorted(v))}" for name, v in sorted(values.items()))


def _unescape_equivalents(value: str, name: str) -> str:
    structured, listed = name in _STRUCTURED, name in _LISTS

    def one(match: re.Match[str]) -> str:
        char = match.group(1)
        if char == "N":
            return "\\n"
        if char not in "\\,;n":
            return char
        if (char == ";" and not structured) or (char == "," and not (structured or listed)):
            return char
        return match.group(0)

    return _ESCAPE.sub(one, value)


def geo(value: str) -> str:
    """`lat;lon` as two normalised decimals; "" when both are empty; a URI or junk as is."""
    parts = value.replace("\\;", ";").replace("\\,", ",").split(";")
    if len(parts) != 2:
        return value
    if not "".join(parts).strip():
        return ""
    try:
        return ";".join(format(Decimal(p.strip()).normalize(), "f") for p in parts)
    except InvalidOperation:
        return value


def duration(value: str) -> str:
    """A duration as `days/seconds` (weeks are days; days stay nominal, RFC 5545 3.3.6)."""
    match = _DURATION.fullmatch(value.strip())
    if match is None or not any(match.groups()[1:]):  # `P`, `PT`: not a duration
        return value
    sign, weeks, days, hours, minutes, seconds = match.groups()
    days_ = int(weeks or 0) * 7 + int(days or 0)
    seconds_ = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    factor = -1 if sign == "-" else 1
    return f"{factor * days_}d{factor * seconds_}s"


def property_line(
    group: str, name: str, params_text: str, value: str, vcard: bool, meaning: bool = False
) -> str | None:
    """The normal form of one property, or None when it carries nothing (an empty value,
    CLASS:PUBLIC in a calendar: the default, which SOGo adds). `meaning`: also drop what
    `meaning_only` lists (the looser form that tells a conversion from a change)."""
    if not value.strip() or (not vcard and name == "CLASS" and value.strip().upper() == "PUBLIC"):
        return None
    params_ = list(params(params_text)) if params_text else []
    if defaults := _DEFAULT_PARAMS.get(name):
        params_ = [p for p in params_ if p not in defaults]
    if name in _PEOPLE:  # SOGo sets CN from its directory
        params_ = [p for p in params_ if not p.startswith("CN=")]
    elif any(p.startswith("TZID=") for p in params_) and UTC_TIMES.fullmatch(value.strip()):
        params_ = [p for p in params_ if not p.startswith("TZID=")]  # UTC: the TZID is void
    if name == "GEO":
        value = geo(value)
        if not value:
            return None
    elif name in _DURATIONS and "VALUE=DATE-TIME" not in params_:
        value = duration(value)
    elif "\\" in value:
        value = _unescape_equivalents(value, name)
    if name in _TRIMMED:
        value = value.rstrip(";")
    elif name in _RULES:
        value = ";".join(sorted(value.upper().split(";")))  # SOGo reorders the parts
    if "ENCODING=B" in params_:
        value = _SPACE.sub("", value)
    if meaning:
        found = meaning_only(name, params_, value)
        if found is None:
            return None
        params_, value = found
    head = f"{group.lower()}.{name}" if group else name
    return ";".join([head, *params_]) + ":" + value


#: Single-value text, whose trailing blanks servers strip (DAViCal -> Cyrus: `SUMMARY:Day `).
_TEXT = frozenset({"SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CONTACT", "FN", "NOTE",
                   "TITLE", "ROLE", "NICKNAME", "CATEGORIES"})  # fmt: skip
_DATE_LIST = re.compile(r"\d{8}(?:,\d{8})*")
_DATE_TIME_LIST = re.compile(r"\d{8}T\d{6}Z?(?:,\d{8}T\d{6}Z?)*")
_MAILTO = re.compile(r"mailto:", re.IGNORECASE)


def meaning_only(name: str, params_: list[str], value: str) -> tuple[list[str], str] | None:
    """A normal property in a looser form that keeps only its meaning, or None when it has
    none. Two items equal in this form but not in the content hash were *converted* by the
    server, not changed: trailing blanks of a text value; `VALUE=DATE` on a date and
    `VALUE=DATE-TIME` on a date-time (the type the value has anyway); an empty structured
    value (`ADR;TYPE=HOME:;;;;;;`, SOGo drops it); RSVP=TRUE on an attendee (SOGo adds it) and
    the case of a `mailto:` address; vCard 3's `TYPE=pref` and 4's `PREF=1`, 4's `tel:` URI."""
    if name in _TEXT:
        value = value.rstrip(" \t")
    if name in _TRIMMED:
        value = value.strip(";")
    if not value.strip():
        return None
    if "VALUE=DATE" in params_ and _DATE_LIST.fullmatch(value):
        params_.remove("VALUE=DATE")
    elif "VALUE=DATE-TIME" in params_ and _DATE_TIME_LIST.fullmatch(value):
        params_.remove("VALUE=DATE-TIME")
    if name in _PEOPLE:
        params_ = [p for p in params_ if p != "RSVP=TRUE"]
        if _MAILTO.match(value):
            value = value.lower()
    if name == "TEL" and "VALUE=URI" in (p.upper() for p in params_):
        params_ = [p for p in params_ if p.upper() != "VALUE=URI"]
        value = value[4:] if value.lower().startswith("tel:") else value
    params_, value = _utc_zone_as_z(params_, value)
    return _pref_as_type(params_), value


#: IANA names of UTC itself (no offset, no daylight saving, ever): Xandikos stores
#: `DTEND;TZID=Etc/GMT:20240917T010000` as `20240917T010000Z`, the same instant.
UTC_ZONES = frozenset(
    {"UTC", "ETC/UTC", "ETC/GMT", "ETC/GMT0", "ETC/GMT+0", "ETC/GMT-0", "ETC/UCT", "ETC/ZULU",
     "ETC/UNIVERSAL", "ETC/GREENWICH", "GMT", "GMT0", "UCT", "ZULU", "UNIVERSAL", "GREENWICH"}
)  # fmt: skip


def _utc_zone_as_z(params_: list[str], value: str) -> tuple[list[str], str]:
    """A local time in a UTC zone written as UTC (`TZID=Etc/GMT:...T010000` -> `...T010000Z`)."""
    tzid = next((p for p in params_ if p.startswith("TZID=")), None)
    if tzid is None or tzid[5:].strip().upper() not in UTC_ZONES:
        return params_, value
    if not _DATE_TIME_LIST.fullmatch(value.strip()):
        return params_, value
    times = ",".join(t if t.endswith("Z") else t + "Z" for t in value.strip().split(","))
    return [p for p in params_ if p != tzid], times


#: Properties whose comma list means the same as one property per value (RFC 5545 3.8.2.6,
#: 3.8.5.1/2, 3.8.1.2, 3.8.1.10): Xandikos writes `FREEBUSY:a,b` as two FREEBUSY lines.
SPLIT_LISTS = frozenset({"FREEBUSY", "EXDATE", "RDATE", "CATEGORIES", "RESOURCES"})
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


def list_values(value: str) -> list[str]:
    """The values of a SPLIT_LISTS property (at its unescaped commas, blanks dropped), each
    normalised as a property of its own: the looser form only, the content hash keeps the
    lines as sent."""
    if "," not in value:
        return [value]
    return [part.strip() for part in _UNESCAPED_COMMA.split(value)]


def _pref_as_type(params_: list[str]) -> list[str]:
    """vCard 4's `PREF=1` as vCard 3's `TYPE=PREF` (any PREF: the most preferred is 1)."""
    types: list[str] = []
    rest = []
    for param in params_:
        if param.startswith("PREF="):
            types.append("PREF")
        elif param.startswith("TYPE="):
            types += param[5:].split(",")
        else:
            rest.append(param)
    if types:
        rest.append("TYPE=" + ",".join(sorted(set(types))))
    return sorted(rest)


def implied_duration(props: list[str]) -> list[str]:
    """An all-day event without DTEND or DURATION lasts one day (RFC 5545 3.6.1): said
    explicitly, as SOGo stores it."""
    names = {p.split(":", 1)[0].split(";", 1)[0] for p in props}
    start = next((p for p in props if p.startswith(("DTSTART:", "DTSTART;"))), "")
    if names & {"DTEND", "DURATION"} or not _DAY.fullmatch(start.rsplit(":", 1)[-1]):
        return []
    return ["DURATION:1d0s"]
