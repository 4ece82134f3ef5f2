"""One schema for accounts and jobs: each key's type, range, choices and default, declared once.

The config file loader, `davtui account add/edit`, `job add`, `import`, `batch import` and the
TUI forms all check through `check_account` / `check_job`, so a value is refused the same way
wherever it is typed, with one sentence naming the key and what is wrong with the value (never
the value of a secret). A small hand-written table rather than pydantic or jsonschema: some
twenty flat keys, and the part a library would own (the wording of each refusal, the nearest
known key, keeping secrets out of messages) is exactly what we need to control.

The account URL rule is `davtui.engine.account_url`'s (the engine applies it again before
connecting).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from davtui.engine.account_url import shown, url_kind
from davtui.engine.connect import ConfigError
from davtui.engine.dav.presets import PRESETS

KINDS = ("dav", "vdir", "file")
WHAT = ("calendars", "contacts", "both")
MODES = ("copy", "mirror", "sync")
#: The conflict policies of each mode: a one-way run only skips or overwrites; a two-way sync
#: decides between two edited versions (`newer` by default).
ONE_WAY_CONFLICTS = ("skip", "source-wins")
SYNC_CONFLICTS = ("newer", "source-wins", "destination-wins", "keep-both", "ask")
CONFLICTS = ("skip", "source-wins", "newer", "destination-wins", "keep-both", "ask")
CREATE_COLLECTIONS = ("both", "none")
# The TUI stores "carbonio" (Zimbra's paths) and "other" (no preset) besides the engine's names.
PRESET_NAMES = (*PRESETS, "carbonio", "other")
PASSWORD_KEYS = ("password", "password_env", "password_command")


class Invalid(Exception):
    """A value does not fit its key; the message says what it should be ("true or false")."""


Check = Callable[[Any], Any]  # the value as stored, or raises Invalid


@dataclass(frozen=True)
class Key:
    """One key: how its value is checked (and normalised), its default, whether it must be
    given, whether its value is a secret that a message must never repeat."""

    name: str
    check: Check
    default: Any = None
    required: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()


def text(what: str = "text") -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(what)
        return value

    return check


def filled(what: str) -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise Invalid(what)
        return value

    return check


def flag(value: Any) -> bool:
    """TOML/JSON true or false only: "no" is not false, and must never become true."""
    if not isinstance(value, bool):
        raise Invalid("true or false")
    return value


def whole(low: int, high: int) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"a whole number from {low} to {high}")
        return value

    return check


def number(low: float, high: float, what: str, above_low: bool = False) -> Check:
    """A number in [low, high], or in (low, high] when `above_low`."""

    def check(value: Any) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not (low < value if above_low else low <= value) or not value <= high:
            raise Invalid(what)
        return float(value)

    return check


def one_of(*options: str) -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise Invalid(f"one of {', '.join(options)}")
        return value

    return check


def existing_file(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid("the path of a file")
    if not os.path.isfile(value):
        raise Invalid("the path of an existing, readable file")
    return value


def collections(value: Any) -> list[dict[str, str | None]]:
    """Collection names (config file), or {source, target} objects (export, database)."""
    what = "a list of collection names or {source, target} objects"
    if not isinstance(value, list):
        raise Invalid(what)
    out: list[dict[str, str | None]] = []
    for entry in value:
        if isinstance(entry, dict) and set(entry) <= {"source", "target"}:
            source, target = entry.get("source"), entry.get("target")
        else:
            source, target = entry, None
        if not isinstance(source, str) or not source or not isinstance(target, str | None):
            raise Invalid(what)
        out.append({"source": source, "target": target or None})
    return out


def renames(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise Invalid("a table of source name = destination name")
    return dict(value)


def anything(kind: type, what: str) -> Check:
    def check(value: Any) -> Any:
        if not isinstance(value, kind):
            raise Invalid(what)
        return value

    return check


def _keys(*keys: Key) -> dict[str, Key]:
    return {key.name: key for key in keys}


ACCOUNT = _keys(
    Key("name", filled("a name")),
    Key("url", filled("a URL, a host, an e-mail address or a path"), required=True),
    Key("kind", one_of(*KINDS), choices=KINDS),
    Key("username", text(), default=""),
    Key("password", text(), secret=True),
    Key("password_env", filled("the name of an environment variable")),
    Key("password_command", filled("a command line")),
    Key("verify_tls", flag, default=True),
    Key("ca_file", existing_file),
    Key("preset", one_of(*PRESET_NAMES), choices=PRESET_NAMES),
    Key("max_connections", whole(1, 256), default=16),
    Key(
        "timeout", number(0, 3600, "a number of seconds above 0, at most 3600", True), default=60.0
    ),
    # Every answer's overall deadline (default: max(60 s, 4 x timeout)) and size limits.
    Key("deadline", number(0, 86400, "a number of seconds above 0, at most 86400", True)),
    Key("max_body_mb", number(0, 2**20, "a number of MB above 0", True), default=64.0),
    Key("max_listing_mb", number(0, 2**24, "a number of MB above 0", True), default=1024.0),
    Key("capabilities", anything(dict, "an object"), default={}),
)
#: The keys of a [source] / [destination] section of a config file.
CONFIG_SIDE = (
    "url", "username", "password", "password_env", "password_command", "verify_tls",
    "ca_file", "kind", "preset", "max_connections", "timeout", "deadline", "max_body_mb",
    "max_listing_mb",
)  # fmt: skip

JOB = _keys(
    Key("name", filled("a name")),
    Key("source", filled("an account name")),
    Key("destination", filled("an account name")),
    Key("what", one_of(*WHAT), default="both", choices=WHAT),
    Key("mode", one_of(*MODES), default="copy", choices=MODES),
    # default: skip for copy and mirror, newer for sync (`check_job`)
    Key("conflict", one_of(*CONFLICTS), choices=CONFLICTS),
    Key("suppress_invitations", flag),  # left out: the destination decides (SOGo: on)
    Key("default_collections", flag, default=False),
    Key("dry_run", flag, default=False),
    Key("collections", collections, default=[]),
    Key("rename", renames, default={}),
    Key("hook", filled("a command line")),
    # Mirror deletes: a drop of more than this share of a collection needs force_delete.
    Key("force_delete", flag, default=False),
    Key("max_delete_share", number(0, 1, "a number from 0 to 1"), default=0.2),
    # sync: collections found on one side only are made on the other (`none`: left alone)
    Key("create_collections", one_of(*CREATE_COLLECTIONS), choices=CREATE_COLLECTIONS),
    Key("runs", anything(list, "a list of runs"), default=[]),
)
#: The keys of the [job] section of a config file.
CONFIG_JOB = (
    "name", "what", "mode", "collections", "rename", "conflict", "suppress_invitations",
    "default_collections", "dry_run", "force_delete", "max_delete_share", "create_collections",
)  # fmt: skip


def unknown_key(name: str, known: Iterable[str], where: str, noun: str = "key") -> ConfigError:
    """'Unknown key' naming the nearest known one, so a typo is found at once."""
    import difflib  # only for a typo: 0.2 MB that a valid configuration never needs

    near = difflib.get_close_matches(str(name), list(known), n=1)
    hint = f"the nearest known {noun} is {near[0]}" if near else f"known: {', '.join(known)}"
    return ConfigError(f"{where} has an unknown {noun} {shown(name)} ({hint}).")


def check_keys(
    keys: dict[str, Key], data: Any, where: str, allowed: Collection[str], need: Iterable[str] = ()
) -> dict[str, Any]:
    """Every allowed key of `data` checked and normalised, defaults filled in for the others;
    a JSON null counts as left out. `where` names the place ("[source]", "account 'x'");
    `need` lists keys this place requires beyond the schema's own required ones."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a table of keys, not {shown(data)}.")
    for name in data:
        if name not in allowed:
            raise unknown_key(name, allowed, where)
    out: dict[str, Any] = {}
    for name in allowed:
        key = keys[name]
        value = data.get(name)
        if value is None:
            if key.required or name in need:
                raise ConfigError(f"{where} needs a {name}.")
            out[name] = key.default.copy() if isinstance(key.default, dict | list) else key.default
            continue
        try:
            out[name] = key.check(value)
        except Invalid as exc:
            given = "" if key.secret else f", not {shown(value)}"
            raise ConfigError(f"{where} {name} must be {exc}{given}.") from None
    return out


def check_account(
    data: Any, where: str, allowed: Collection[str] = CONFIG_SIDE, need: Iterable[str] = ()
) -> dict[str, Any]:
    """An account's keys checked, its kind settled by `url_kind`; ConfigError on a problem."""
    values = check_keys(ACCOUNT, data, where, allowed, need)
    given = [key for key in PASSWORD_KEYS if values.get(key) is not None]
    if len(given) > 1:
        raise ConfigError(f"{where} has both {given[0]} and {given[1]}: keep one of them.")
    values["kind"] = url_kind(values["url"], values.get("kind"), where)
    return values


def check_job(
    data: Any, where: str, allowed: Collection[str] = CONFIG_JOB, need: Iterable[str] = ()
) -> dict[str, Any]:
    values = check_keys(JOB, data, where, allowed, need)
    if "conflict" in values and "mode" in values:  # else `job edit` sets a stored job's
        values["conflict"] = conflict_for(values["mode"], values["conflict"], where)
    if "create_collections" in values and values["create_collections"] is None:
        values["create_collections"] = "both"
    return values


def conflict_for(mode: str | None, conflict: str | None, where: str = "the job") -> str:
    """The conflict policy of a job in `mode` (its default when None), or ConfigError when
    the policy does not go with the mode."""
    sync = mode == "sync"
    if conflict is None:
        return "newer" if sync else "skip"
    fits = SYNC_CONFLICTS if sync else ONE_WAY_CONFLICTS
    if conflict not in fits:
        modes = "sync" if sync else f"{mode or 'copy'}"
        raise ConfigError(
            f"{where} conflict {shown(conflict)} does not go with mode {modes}: "
            f"copy and mirror take {', '.join(ONE_WAY_CONFLICTS)}; "
            f"sync takes {', '.join(SYNC_CONFLICTS)}."
        )
    return conflict


def edited_conflict(mode: str, given: str | None, stored: str, where: str) -> str:
    """A stored job's conflict policy after `job edit` (`given`: the new one, if any): a
    stored policy that does not go with a new mode becomes that mode's default."""
    fits = SYNC_CONFLICTS if mode == "sync" else ONE_WAY_CONFLICTS
    if given is None and stored in fits:
        return stored
    return conflict_for(mode, given, where)


# --- The URL rule --------------------------------------------------------------------------
