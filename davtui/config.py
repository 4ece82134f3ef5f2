"""The configuration file of `davtui migrate` (TOML, or the same keys in JSON)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from davtui.engine.connect import ConfigError
from davtui.engine.storage import AccountSpec
from davtui.passwords import PasswordSourceError, from_command, from_env

WHAT = ("calendars", "contacts", "both")
MODES = ("copy", "mirror")
CONFLICTS = ("skip", "source-wins")
SIDE_KEYS = {
    "url", "username", "password", "password_env", "password_command", "verify_tls",
    "ca_file", "kind", "preset", "max_connections", "timeout",
    "deadline", "max_body_mb", "max_listing_mb",
}  # fmt: skip
JOB_KEYS = {
    "name", "what", "mode", "collections", "rename", "conflict", "suppress_invitations",
    "default_collections", "dry_run",
}  # fmt: skip


@dataclass(frozen=True)
class MigrateConfig:
    source: AccountSpec
    destination: AccountSpec
    job: dict[str, Any]


def load(path: str) -> MigrateConfig:
    """Read and check a config file; every problem is a `ConfigError` of one sentence."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror}.") from None
    try:
        data = json.loads(text) if file.suffix == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"The config file {path} is not valid: {exc}.") from None
    unknown = set(data) - {"source", "destination", "job"}
    if unknown:
        raise ConfigError(f"Unknown section(s) in {path}: {', '.join(sorted(unknown))}.")
    for side in ("source", "destination"):
        if not isinstance(data.get(side), dict):
            raise ConfigError(f"The config file {path} needs a [{side}] section with a url.")
    job = _job(data.get("job", {}))
    return MigrateConfig(
        _side(data["source"], "source"), _side(data["destination"], "destination"), job
    )


def _flag(value: Any) -> bool | None:
    """A yes/no key that may be left out (None: let davtui decide)."""
    return None if value is None else bool(value)


def _choice(value: Any, allowed: tuple[str, ...], key: str) -> str:
    if value not in allowed:
        raise ConfigError(f"[job] {key} must be one of {', '.join(allowed)}, not {value!r}.")
    return value


def _job(section: dict[str, Any]) -> dict[str, Any]:
    unknown = set(section) - JOB_KEYS
    if unknown:
        raise ConfigError(f"Unknown key(s) in [job]: {', '.join(sorted(unknown))}.")
    collections = section.get("collections", [])
    rename = section.get("rename", {})
    if not isinstance(collections, list) or not all(isinstance(c, str) for c in collections):
        raise ConfigError("[job] collections must be a list of collection names.")
    if not isinstance(rename, dict):
        raise ConfigError("[job] rename must be a table of source name = destination name.")
    return {
        "name": section.get("name"),
        "what": _choice(section.get("what", "both"), WHAT, "what"),
        "mode": _choice(section.get("mode", "copy"), MODES, "mode"),
        "conflict": _choice(section.get("conflict", "skip"), CONFLICTS, "conflict"),
        "suppress_invitations": _flag(section.get("suppress_invitations")),
        "default_collections": bool(section.get("default_collections", False)),
        "dry_run": bool(section.get("dry_run", False)),
        "collections": [{"source": n, "target": rename.get(n)} for n in collections],
        "rename": {str(k): str(v) for k, v in rename.items()},
    }


def _side(section: dict[str, Any], side: str) -> AccountSpec:
    unknown = set(section) - SIDE_KEYS
    if unknown:
        raise ConfigError(f"Unknown key(s) in [{side}]: {', '.join(sorted(unknown))}.")
    url = section.get("url")
    if not isinstance(url, str) or not url:
        raise ConfigError(f"[{side}] needs a url.")
    try:
        if "password_env" in section:
            password = from_env(section["password_env"])
        elif "password_command" in section:
            password = from_command(section["password_command"])
        else:
            password = str(section.get("password", ""))
    except PasswordSourceError as exc:
        raise ConfigError(f"[{side}] {exc}") from None
    kind = section.get("kind") or ("dav" if "://" in url or "@" in url else "vdir")
    return AccountSpec(
        url=url,
        kind=kind,
        username=str(section.get("username", "")),
        password=password,
        verify_tls=bool(section.get("verify_tls", True)),
        ca_file=section.get("ca_file"),
        preset=section.get("preset"),
        max_connections=int(section.get("max_connections", 16)),
        timeout=float(section.get("timeout", 60.0)),
        deadline=_positive(section, "deadline", None, side),
        max_body=int(_positive(section, "max_body_mb", 64, side) * 2**20),
        max_listing=int(_positive(section, "max_listing_mb", 1024, side) * 2**20),
    )


def _positive(section: dict[str, Any], key: str, default: Any, side: str) -> Any:
    """A limit given in seconds or MB: a number above zero, or `default` when left out."""
    if key not in section:
        return default
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e12:
        raise ConfigError(f"[{side}] {key} must be a number above 0, not {value!r}.")
    return float(value)
