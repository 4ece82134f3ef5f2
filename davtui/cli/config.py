"""The configuration file of `davtui migrate` (TOML, or the same keys in JSON)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from davtui.cli.passwords import PasswordSourceError, from_command, from_env
from davtui.engine.account_url import shown
from davtui.engine.connect import ConfigError
from davtui.engine.schema import CONFIG_JOB, CONFIG_SIDE, check_account, check_job, unknown_key
from davtui.engine.storages.contract import AccountSpec

SECTIONS = ("source", "destination", "job")


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
    if not isinstance(data, dict):
        raise ConfigError(
            f"The config file {path} must hold an object with source, destination and job, "
            f"not {shown(data)}."
        )
    for name in data:
        if name not in SECTIONS:
            raise unknown_key(name, SECTIONS, f"The config file {path}", "section")
    for side in ("source", "destination"):
        if data.get(side) is None:
            raise ConfigError(f"The config file {path} needs a [{side}] section with a url.")
    job = _job({} if data.get("job") is None else data["job"])
    return MigrateConfig(
        _side(data["source"], "source"), _side(data["destination"], "destination"), job
    )


def _job(section: Any) -> dict[str, Any]:
    """The [job] section checked by the schema; a collection without a target takes the
    destination name `rename` gives it."""
    job = check_job(section, "[job]", CONFIG_JOB)
    for choice in job["collections"]:
        choice["target"] = choice["target"] or job["rename"].get(choice["source"])
    return job


def _side(section: Any, side: str) -> AccountSpec:
    values = check_account(section, f"[{side}]", CONFIG_SIDE)
    try:
        if values["password_env"] is not None:
            password = from_env(values["password_env"])
        elif values["password_command"] is not None:
            password = from_command(values["password_command"])
        else:
            password = values["password"] or ""
    except PasswordSourceError as exc:
        raise ConfigError(f"[{side}] {exc}") from None
    return AccountSpec(
        url=values["url"],
        kind=values["kind"],
        username=values["username"],
        password=password,
        verify_tls=values["verify_tls"],
        ca_file=values["ca_file"],
        preset=values["preset"],
        max_connections=values["max_connections"],
        timeout=values["timeout"],
        deadline=values["deadline"],
        max_body=int(values["max_body_mb"] * 2**20),
        max_listing=int(values["max_listing_mb"] * 2**20),
    )
