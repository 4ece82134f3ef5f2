"""The database-bound layer: running one stored job (`run`), the queue of jobs and their
claims (`queue`), per-item state (`state`), the log recorder, account probes and the
after-run hook (`hooks`).

The top of the engine: may import every other layer and `davtui.store`.
"""
