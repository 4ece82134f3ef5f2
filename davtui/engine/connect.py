"""Opening an account as a storage: a DAV server, a vdir folder or one .ics/.vcf file."""

from __future__ import annotations

from pathlib import Path

from davtui.engine.errors import EngineError
from davtui.engine.events import Listener, ignore
from davtui.engine.storage import AccountSpec, ReadOnly, Storage, WritableStorage


class ConfigError(EngineError):
    """An account or job is set up wrongly; one sentence, exit code 2."""

    exit_code = 2


def open_storage(spec: AccountSpec, listener: Listener = ignore) -> Storage:
    """The storage behind `spec` (writable where the backend can write)."""
    if spec.kind == "dav":
        from davtui.engine.davstore import DavStorage

        return DavStorage(spec, listener)
    path = Path(spec.url).expanduser()
    if spec.kind == "vdir":
        from davtui.engine.vdir import VdirStorage

        return VdirStorage(path)
    if spec.kind == "file":
        from davtui.engine.filestore import FileStorage

        if not path.is_file():
            raise ConfigError(f"The file {path} does not exist.")
        return FileStorage(path)
    raise ConfigError(f"Unknown account kind '{spec.kind}' (dav, vdir or file).")


def open_source(spec: AccountSpec, listener: Listener = ignore) -> ReadOnly:
    """The source side of a job: read-only by construction."""
    return ReadOnly(open_storage(spec, listener))


def open_destination(spec: AccountSpec, listener: Listener = ignore) -> WritableStorage:
    storage = open_storage(spec, listener)
    if not isinstance(storage, WritableStorage):
        raise ConfigError(f"The account '{spec.name or spec.url}' cannot be written to.")
    return storage
