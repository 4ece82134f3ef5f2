"""`davtui status [--json]`: the whole queue in a few lines, for people and monitoring scripts."""

from __future__ import annotations

import json

from davtui import exitcodes
from davtui.cli.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    status = sub.add_parser(
        "status", help="the whole queue: mailboxes done/running/queued/failed, items, rate, ETA"
    )
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.set_defaults(handler=_status)


def _status(ctx) -> int:
    from davtui.engine.jobs.fleet import summary

    fleet = summary()
    if ctx.args.json:
        print(json.dumps(fleet.as_dict(), indent=2))
    else:
        print("\n".join(lines(fleet)))
    return exitcodes.OK


def lines(fleet) -> list[str]:
    """The summary, then the jobs with the most failures and the slowest servers."""
    out = fleet.lines()
    if fleet.most_failed:
        out.append("Most failed items (last run):")
        for job in fleet.most_failed:
            out.append(f"  {job.failed:>7}  {_cut(job.name, 50)} ({job.status.replace('_', ' ')})")
    if fleet.slowest:
        out.append("Slowest servers (items/s per running job):")
        for host in fleet.slowest:
            out.append(f"  {host.rate:7.1f}  {_cut(host.host, 50)} ({host.jobs} jobs)")
    return out


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
