"""`davtui migrate CONFIG`: a one-off migration from a config file, recorded like any job.

The accounts and the job are stored (without passwords: those come from the config on each
run), so running the same config again is incremental: unchanged items are neither read nor
written.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from urllib.parse import urlsplit

from davtui import exitcodes
from davtui.cli.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    migrate = sub.add_parser(
        "migrate",
        help="one-off migration from a TOML (or JSON) config file",
        description="Copy calendars and contacts as a config file says, verify, and report.",
        epilog=exitcodes.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    migrate.add_argument("config", help="TOML or JSON file with [source], [destination], [job]")
    migrate.add_argument("--dry-run", action="store_true", help="plan only: write nothing")
    migrate.add_argument("--json", action="store_true", help="print one JSON report at the end")
    migrate.add_argument(
        "--force-delete",
        action="store_true",
        help="mirror: delete even more than max_delete_share of a collection (this run only)",
    )
    migrate.add_argument(
        "-v", "--verbose", action="count", default=0, help="more output (-v -v: HTTP)"
    )
    migrate.set_defaults(handler=_migrate)


def _account_for(spec):
    """The stored account for a config side, found by URL, user and kind, or created."""
    from davtui.store.models import Account

    account = Account.get_or_none(
        (Account.url == spec.url)
        & (Account.username == spec.username)
        & (Account.kind == spec.kind)
    )
    if account is not None:
        return account
    host = urlsplit(spec.url).hostname or spec.url
    base = f"{spec.username}@{host}" if spec.username else host
    name, n = base, 1
    while Account.get_or_none(Account.name == name):
        n += 1
        name = f"{base} ({n})"
    return Account.create(
        name=name,
        url=spec.url,
        username=spec.username,
        kind=spec.kind,
        verify_tls=spec.verify_tls,
        ca_file=spec.ca_file,
        preset=spec.preset,
    )


def _job_for(config, source, destination):
    from peewee import Field

    from davtui.store.models import Job

    # the schema's keys the job row stores (the others only steer this run)
    fields = {k: v for k, v in config.job.items() if isinstance(getattr(Job, k, None), Field)}
    fields.pop("name", None)
    name = config.job.get("name") or f"migrate {source.name} -> {destination.name}"
    job = Job.get_or_none(Job.name == name)
    if job is None:
        return Job.create(name=name, source=source, destination=destination, **fields)
    Job.update(source=source, destination=destination, **fields).where(Job.id == job.id).execute()
    return Job.get_by_id(job.id)


def _migrate(ctx) -> int:
    from dataclasses import replace

    from davtui.cli.config import load
    from davtui.cli.console import Console
    from davtui.cli.headless import stop_on_signals
    from davtui.engine.errors import EngineError
    from davtui.engine.jobs.queue import Lease, already_running, claim, mark_interrupted
    from davtui.engine.jobs.run import run_job
    from davtui.engine.report import report
    from davtui.store.db import serialized

    args = ctx.args
    if args.verbose >= 2:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    try:
        config = load(args.config)
    except EngineError as exc:
        print(f"davtui: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    with serialized():  # one config started twice at once: its accounts and job made once
        source = _account_for(config.source)
        destination = _account_for(config.destination)
        job = _job_for(config, source, destination)
    console = Console(sys.stderr, args.verbose)
    started = time.monotonic()
    specs = (
        replace(config.source, name=source.name),
        replace(config.destination, name=destination.name),
    )
    mark_interrupted()  # a run a killed process left open is history: `interrupted`
    if not claim(job.id, explicit=True):  # as every runner does: one job never runs twice
        print(f"davtui: {already_running(job.id, job.name)}", file=sys.stderr)
        return exitcodes.USAGE
    shutdown = stop_on_signals()
    dry_run = args.dry_run or config.job["dry_run"]
    with Lease(job.id, shutdown) as lease:
        finished, _run = run_job(
            job.id,
            console,
            lease.stop,
            sources=specs,
            dry_run=dry_run,
            force_delete=args.force_delete,
        )
    duration = time.monotonic() - started
    if args.json:
        print(json.dumps(report(finished, duration, job.name), indent=2))
    else:
        console.finish(finished, duration)
    return finished.exit_code
