"""The JSON report of a run (DESIGN.md section 5): one object, the same for every front end."""

from __future__ import annotations

from typing import Any

from davtui.engine.events import Finished
from davtui.engine.run_stats import stats_json


def report(finished: Finished, duration: float, job: str | None = None) -> dict[str, Any]:
    verification = finished.verification or {"ok": None, "missing": [], "different": []}
    # converted: stored equal in meaning but rewritten by the server (vCard 4.0 -> 3.0 on SOGo)
    out: dict[str, Any] = {
        "status": finished.status,
        "dry_run": finished.dry_run,
        "duration": round(duration, 3),
        "stats": stats_json(finished.stats),
        "verification": {
            "ok": verification["ok"],
            "missing": verification["missing"],
            "different": verification["different"],
            "converted": verification.get("converted", 0),
            "rewritten": verification.get("rewritten", []),
            # stored in another form of the same meaning, with the properties (no alarm)
            "conversions": verification.get("conversions", []),
            "fetched": verification.get("fetched", 0),  # items read back to verify
        },
        "errors": finished.errors,
        # every item not copied as sent and verified equal, once (counts: stats["ledger"])
        "ledger": finished.ledger,
        "exit_code": finished.exit_code,
    }
    if finished.warnings:
        out["warnings"] = finished.warnings
    if finished.leftovers:
        out["leftovers"] = finished.leftovers
    if finished.error:
        out["error"] = finished.error
    if finished.plan is not None:
        out["plan"] = finished.plan
    if job is not None:
        out["job"] = job
    return out
