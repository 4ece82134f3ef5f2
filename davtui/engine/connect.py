"""Opening an account as a storage: a DAV server, a vdir folder or one .ics/.vcf file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from davtui.engine.errors import EngineError
from davtui.engine.events import Listener, ignore
from davtui.engine.storages.contract import AccountSpec, ReadOnly, Storage, WritableStorage

if TYPE_CHECKING:
    from davtui.engine.dav.discovery import Discovery


class ConfigError(EngineError):
    """An account or job is set up wrongly; one sentence, exit code 2."""

    exit_code = 2


def open_storage(
    spec: AccountSpec, listener: Listener = ignore, discovery: Discovery | None = None
) -> Storage:
    """The storage behind `spec` (writable where the backend can write); a DAV account with
    `discovery` (stored by an earlier run) skips discovering its server."""
    if spec.kind == "dav":
        from davtui.engine.dav.storage import DavStorage

        return DavStorage(spec, listener, discovery)
    path = Path(spec.url).expanduser()
    if spec.kind == "vdir":
        from davtui.engine.storages.vdir import VdirStorage

        return VdirStorage(path)
    if spec.kind == "file":
        from davtui.engine.storages.file import FileStorage

        if not path.is_file():
            raise ConfigError(f"The file {path} does not exist.")
        return FileStorage(path)
    raise ConfigError(f"Unknown account kind '{spec.kind}' (dav, vdir or file).")


def open_source(
    spec: AccountSpec, listener: Listener = ignore, discovery: Discovery | None = None
) -> ReadOnly:
    """The source side of a job: read-only by construction."""
    return ReadOnly(open_storage(spec, listener, discovery))


def open_destination(
    spec: AccountSpec, listener: Listener = ignore, discovery: Discovery | None = None
) -> WritableStorage:
    storage = open_storage(spec, listener, discovery)
    if not isinstance(storage, WritableStorage):
        raise ConfigError(f"The account '{spec.name or spec.url}' cannot be written to.")
    return storage
