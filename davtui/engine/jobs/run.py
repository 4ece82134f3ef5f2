"""Running one stored job: accounts from the database, a run row as history, control requests
read from the job row so any process (TUI, CLI, another runner) can pause, resume or stop it."""

from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peewee import SqliteDatabase

from davtui.engine.account_url import url_kind
from davtui.engine.errors import EngineError
from davtui.engine.events import Finished, Listener, Message, Phase, ignore
from davtui.engine.jobs import ledger, lifecycle
from davtui.engine.jobs.recorder import Recorder
from davtui.engine.jobs.state import JobState
from davtui.engine.run_stats import stats_json
from davtui.engine.storages.contract import AccountSpec, ReadOnly, WritableStorage
from davtui.engine.sync.gate import Gate
from davtui.engine.sync.leftovers import Leftovers, run_folder
from davtui.engine.sync.mapping import Choice
from davtui.engine.sync.migration import Migration, Options
from davtui.store.models import Account, Job, Run, database, utcnow
from davtui.store.secrets import Vault

if TYPE_CHECKING:
    from davtui.engine.dav.discovery import Discovery

log = logging.getLogger(__name__)


def runner_id() -> str:
    """Who runs a job: host and process, so a dead runner can be told from a live one."""
    return f"{socket.gethostname()}:{os.getpid()}"


def spec_of(account: Account, vault: Vault | None) -> AccountSpec:
    """What the engine needs to reach a stored account. Its URL meets the schema's rule
    again: an account stored before the rule (a password in the URL, an ftp:// or a
    scheme-less https//host/x) is refused with one sentence, not spoken to."""
    url_kind(account.url, account.kind, f"The account '{account.name}'")
    password = vault.password(account) if (vault and account.secret) else ""
    return AccountSpec(
        url=account.url,
        kind=account.kind,
        username=account.username,
        password=password,
        verify_tls=account.verify_tls,
        ca_file=account.ca_file,
        preset=account.preset,
        name=account.name,
        **({} if account.max_connections is None else {"max_connections": account.max_connections}),
    )


def options_of(
    job: Job, dry_run: bool | None = None, writers: int | None = None, force_delete: bool = False
) -> Options:
    """The job's options; `force_delete` confirms a large mirror deletion for this run only."""
    return Options(
        what=job.what,
        mode=job.mode,
        conflict=job.conflict,
        dry_run=job.dry_run if dry_run is None else dry_run,
        suppress_invitations=job.suppress_invitations,
        default_collections=job.default_collections,
        choices=tuple(Choice(c["source"], c.get("target")) for c in job.collections or ()),
        rename=tuple(sorted((job.rename or {}).items())),
        force_delete=job.force_delete or force_delete,
        max_delete_share=job.max_delete_share,
        writers=writers,
        create_collections=job.create_collections,
    )


def read_control(job_id: int) -> str | None:
    row = Job.select(Job.control).where(Job.id == job_id).first()
    return row.control if row else "stop"


def _open_both(
    sources: tuple[AccountSpec, AccountSpec],
    accounts: tuple[Account, Account],
    listener: Listener,
    opened: list[Any],
    two_way: bool = False,
) -> tuple[ReadOnly | WritableStorage, WritableStorage]:
    """Discover both sides at once (half the round trips before the first listing), or reuse
    what an earlier run found; each storage that opened goes into `opened`, to be closed; the
    source's error wins. The source is read-only but for a two-way sync (`two_way`)."""
    from davtui.engine.connect import open_destination, open_source  # HTTP stack: lazily

    stored = [_stored_discovery(a, spec) for a, spec in zip(accounts, sources, strict=True)]
    first = open_destination if two_way else open_source
    with ThreadPoolExecutor(2, thread_name_prefix="davtui-open") as pool:
        pending: list[Future[Any]] = [pool.submit(first, sources[0], listener, stored[0]),
                   pool.submit(open_destination, sources[1], listener, stored[1])]  # fmt: skip
        wait(pending)
    opened += [f.result() for f in pending if f.exception() is None]
    for future in pending:
        if (error := future.exception()) is not None:
            raise error
    return opened[0], opened[1]


def _stored_discovery(account: Account, spec: AccountSpec) -> Discovery | None:
    """What an earlier run found out about a DAV account's server, if it is to be reused."""
    if spec.kind != "dav":
        return None
    from davtui.engine.dav.discovery import reusable  # the HTTP stack: only for DAV accounts

    return reusable(account.capabilities, spec)


def _store_discoveries(
    accounts: tuple[Account, Account],
    specs: tuple[AccountSpec, AccountSpec],
    storages: tuple[Any, Any],  # `discovered`, where set, is the Discovery of a DAV storage
) -> None:
    """Keep what discovery found on each account row, for the next run to skip it."""
    for account, spec, storage in zip(accounts, specs, storages, strict=True):
        if storage.discovered is not None:
            from davtui.engine.dav.discovery import as_json

            found = as_json(storage.discovered, spec)
            Account.update(capabilities=found).where(Account.id == account.id).execute()


def run_job(
    job_id: int,
    listener: Listener = ignore,
    shutdown: threading.Event | None = None,
    sources: tuple[AccountSpec, AccountSpec] | None = None,
    dry_run: bool | None = None,
    force_delete: bool = False,
) -> tuple[Finished, int]:
    """Run job `job_id` once; return the finished event and the run's id.

    Control requests come from the job row (pause, resume, stop: the run ends `cancelled`);
    `shutdown` is this process going away (signal, quitting the TUI): the run stops at the next
    item boundary and the job is left `interrupted`, to resume on the next start. `sources`
    overrides the specs built from the stored accounts (`davtui migrate` passes passwords it
    read from the environment instead of storing them); `force_delete`: the user confirmed
    a large mirror deletion for this run."""
    job = Job.get_by_id(job_id)
    dry = job.dry_run if dry_run is None else dry_run
    run = Run.create(job=job, dry_run=dry, status="running", runner=runner_id())
    lifecycle.begin(job_id, runner_id())
    recorder = Recorder(job_id, run.id, listener)

    def poll() -> str | None:
        return "stop" if shutdown is not None and shutdown.is_set() else read_control(job_id)

    def gate_changed(state: str) -> None:
        lifecycle.hold(job_id, paused=state == "paused")
        recorder(Phase(state))  # paused/running: listeners (the TUI's badge) learn of it

    gate = Gate(poll=poll, on_change=gate_changed)
    opened: list[Any] = []
    handed: set[tuple[str, str]] = set()  # two-way resolutions listed in this run's ledger
    try:
        options = options_of(job, dry_run, force_delete=force_delete)
        if sources is None:
            vault = Vault.open() if (job.source.secret or job.destination.secret) else None
            sources = (spec_of(job.source, vault), spec_of(job.destination, vault))
        for spec in sources:  # never silently: on every run, in the output and the log
            if spec.kind == "dav" and not spec.verify_tls:
                recorder(Message("warning", f"TLS verification is off for {spec.url}."))
        accounts = (job.source, job.destination)
        two_way = options.mode == "sync"
        source, destination = _open_both(sources, accounts, recorder, opened, two_way)
        if isinstance(source, WritableStorage) and two_way:
            from davtui.engine.sync.twoway import TwoWay

            two = TwoWay(source, destination, JobState(job_id), options, recorder, gate)
            finished = two.run()
            handed = two.handed_over
        else:
            leftovers = Leftovers(_leftovers_folder(job_id, run.id))
            finished = Migration(
                source, destination, JobState(job_id), options, recorder, gate, leftovers
            ).run()
        _store_discoveries(accounts, sources, (source, destination))
    except EngineError as exc:
        recorder(Message("error", str(exc)))
        finished = Finished(status="failed", error=str(exc), exit_code=exc.exit_code)
        recorder(finished)
    except Exception as exc:  # a bug or an unforeseen OS error: never a job left `running`
        sentence = unexpected(exc)
        recorder(Message("error", sentence))
        finished = Finished(status="failed", error=sentence, exit_code=EngineError.exit_code)
        recorder(finished)
    finally:
        for storage in opened:
            storage.close()
        recorder.flush()
        recorder.store_progress(force=True)
    final = finished.status
    if final == "cancelled" and shutdown is not None and shutdown.is_set():
        final = "interrupted"
    with database.atomic():  # the run's end and the job's: a kill between them re-ran the job
        Run.update(
            status=finished.status,
            finished_at=utcnow(),
            stats=stats_json(finished.stats),
            verification=finished.verification,
            error=finished.error,
        ).where(Run.id == run.id).execute()
        ledger.store(run.id, finished.ledger)
        JobState(job_id).clear_resolved(handed)
        lifecycle.finish(job_id, final, runner_id())
    return finished, run.id


def unexpected(exc: Exception) -> str:
    """One sentence for an error nobody foresaw (the user sees no traceback); the traceback
    goes to the log at debug level (`-v -v`), for a bug report."""
    log.debug("the run stopped on an unexpected error", exc_info=exc)
    reason = " ".join(str(exc).split()).rstrip(".?!") or "no details"
    return f"The run stopped on an unexpected error ({type(exc).__name__}: {reason})."


def _leftovers_folder(job_id: int, run_id: int) -> Path:
    """Beside the SQLite database; in the data directory for a server database."""
    sqlite = isinstance(database.obj, SqliteDatabase)
    folder = run_folder(database.obj.database if sqlite else None, job_id, run_id)
    if folder is None:
        from davtui.paths import data_dir

        folder = data_dir() / "leftovers" / f"{job_id}-{run_id}"
    return folder
