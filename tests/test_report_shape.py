"""The JSON report's `stats` object is a contract (DESIGN.md section 5): scripts read its keys.
The engine hands the statistics over as typed values (`davtui.engine.run_stats`); these tests
pin the JSON they turn into, key for key and in order, as it was when they were dicts."""

from __future__ import annotations

import json

from davtui.engine.events import Finished
from davtui.engine.report import report
from davtui.engine.run_stats import ItemCounts, RunStats
from davtui.engine.sync.memory_states import MemoryStates
from tests.test_engine import Counting, filled, migrate

#: `json.dumps(report["stats"])` of the run below, captured before the statistics were typed
#: (the ledger's `resolved` came later, with two-way sync).
STATS_JSON = (
    '{"calendars": {"created": 1, "used": 0, "failed": 0}, '
    '"addressbooks": {"created": 1, "used": 0, "failed": 0}, '
    '"events": {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}, '
    '"tasks": {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}, '
    '"journals": {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}, '
    '"contacts": {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}, '
    '"other": {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}, '
    '"fixups": {}, "deleted": 0, "conflicts": 0, "bytes": 1024, '
    '"ledger": {"missing": 0, "changed-by-server": 0, "failed": 0, "refused": 0, '
    '"conflict": 0, "skipped": 0, "converted": 0, "fixed": 0, "resolved": 0}}'
)


def test_a_runs_stats_are_the_same_json_as_before() -> None:
    finished = migrate(filled(events=3, tasks=1, cards=1), Counting(), MemoryStates())
    assert finished.stats is not None and finished.stats.events == ItemCounts(created=3)
    out = report(finished, 1.0, "job")
    assert json.dumps(out["stats"]) == STATS_JSON
    assert list(out) == [
        "status", "dry_run", "duration", "stats", "verification", "errors", "ledger",
        "exit_code", "job",
    ]  # fmt: skip


def test_a_run_that_failed_before_counting_reports_empty_stats() -> None:
    out = report(Finished(status="failed", error="unreachable", exit_code=4), 1.0)
    assert out["stats"] == {} and out["error"] == "unreachable"


def test_fixups_and_ledger_keep_their_names_and_order() -> None:
    stats = RunStats(fixups={"a-fix": 2, "b-fix": 1}, ledger={"missing": 0, "fixed": 3})
    shown = stats.as_json()
    assert list(shown)[-5:] == ["fixups", "deleted", "conflicts", "bytes", "ledger"]
    assert shown["fixups"] == {"a-fix": 2, "b-fix": 1}
    assert shown["ledger"] == {"missing": 0, "fixed": 3}
