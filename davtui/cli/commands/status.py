"""`davtui status [--json]`: the whole queue in a few lines, for people and monitoring scripts."""

from __future__ import annotations

import argparse
import json

from davtui import exitcodes
from davtui.durations import duration


def register(sub: argparse._SubParsersAction) -> None:
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
    """The summary as text within 80 columns."""
    shown = (fleet.done, fleet.with_errors, fleet.failed, fleet.running, fleet.paused)
    other = fleet.jobs - sum(shown) - fleet.queued
    out = [
        f"Mailboxes  {fleet.jobs} jobs: {fleet.done} done, {fleet.with_errors} with errors, "
        f"{fleet.failed} failed",
        f"           {fleet.running} running, {fleet.paused} paused, {fleet.queued} queued, "
        f"{other} not queued",
    ]
    if fleet.items_total is None:
        items = f"{fleet.items_done} done of an unknown total (a run is still planning)"
    else:
        about = "about " if fleet.items_estimated else ""
        items = f"{fleet.items_done} done of {about}{fleet.items_total}"
    out.append(f"Items      {items} (running and queued jobs)")
    rate = "no job is copying" if fleet.rate is None else f"{fleet.rate:.1f} items/s"
    eta = duration(fleet.eta, "unknown") if fleet.rate else "unknown"
    out.append(f"Pace       {rate}; everything queued done in {eta}")
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
