"""Peewee models: accounts, jobs, runs, log entries and per-item sync state.

Models are bound to a `DatabaseProxy` rather than a deferred `SqliteDatabase(None)` so the same
models can later point at PostgreSQL for many runners; `davtui.store.db.open_database`
initialises it with SQLite (WAL, foreign keys) today.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    ModelSelect,
    TextField,
)

database = DatabaseProxy()


def utcnow() -> datetime:
    """Aware UTC now; stored as ISO text by SQLite."""
    return datetime.now(UTC)


class JSONField(TextField):
    """A JSON document in a TEXT column (portable across SQLite and PostgreSQL)."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Setting(BaseModel):
    """Application settings and internal markers (theme, key check, worker count)."""

    key = CharField(primary_key=True)
    value = JSONField(null=True)

    @classmethod
    def put(cls, key: str, value: Any) -> None:
        """Set `key` to `value` (an upsert that SQLite and PostgreSQL both speak)."""
        cls.insert(key=key, value=value).on_conflict(
            conflict_target=[cls.key], preserve=[cls.value]
        ).execute()


class Account(BaseModel):
    """One login on one server, or a local folder/file. `secret` is Fernet ciphertext only."""

    id = AutoField()  # what peewee adds by itself, written out for type checkers
    name = CharField(unique=True)
    kind = CharField(default="dav")  # dav | vdir | file
    url = TextField()
    username = CharField(default="")
    secret = TextField(null=True)
    verify_tls = BooleanField(default=True)
    ca_file = TextField(null=True)
    preset = CharField(null=True)
    capabilities = JSONField(default=dict)
    # requests in flight to this account's host at once (None: the engine's default, 16)
    max_connections = IntegerField(null=True)
    last_test_at = DateTimeField(null=True)
    last_test_ok = BooleanField(null=True)
    last_test_message = TextField(null=True)
    created_at = DateTimeField(default=utcnow)


JOB_STATES = (
    "pending",
    "queued",
    "running",
    "paused",
    "completed",
    "completed_with_errors",
    "failed",
    "cancelled",
    "interrupted",
)


class Job(BaseModel):
    """Source account -> destination account, what to copy and how; `control` carries requests
    (pause, resume, stop) from any process to the one running the job."""

    id = AutoField()  # what peewee adds by itself, written out for type checkers
    source_id: int  # the foreign keys' values, and the backrefs of Run and LogEntry
    destination_id: int
    runs: ModelSelect
    logs: ModelSelect
    name = CharField(unique=True)
    source = ForeignKeyField(Account, backref="jobs_out", on_delete="RESTRICT")
    destination = ForeignKeyField(Account, backref="jobs_in", on_delete="RESTRICT")
    what = CharField(default="both")  # calendars | contacts | both
    mode = CharField(default="copy")  # copy | mirror | sync
    # copy, mirror: skip | source-wins; sync: newer | source-wins | destination-wins |
    # keep-both | ask
    conflict = CharField(default="skip")
    dry_run = BooleanField(default=False)
    # None: decided by the destination (on where the server e-mails attendees: SOGo)
    suppress_invitations = BooleanField(null=True, default=None)
    default_collections = BooleanField(default=False)
    # a mirror may delete at most this share of the items it created in a collection, unless
    # `force_delete` (the user confirmed a large deletion)
    max_delete_share = FloatField(default=0.2)
    force_delete = BooleanField(default=False)
    create_collections = CharField(default="both")  # sync: both | none
    # [{"source": name or href, "target": name or href or null}]; empty = every collection
    collections = JSONField(default=list)
    rename = JSONField(default=dict)  # source name -> destination name, for any collection
    status = CharField(default="pending", index=True)
    control = CharField(null=True)
    queue_position = IntegerField(null=True, index=True)
    runner = CharField(null=True)
    lease_until = DateTimeField(null=True)
    hook = TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class Run(BaseModel):
    """One execution of a job, kept as history."""

    id = AutoField()  # what peewee adds by itself, written out for type checkers
    job_id: int
    job = ForeignKeyField(Job, backref="runs", on_delete="CASCADE")
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    status = CharField(default="running")
    dry_run = BooleanField(default=False)
    stats = JSONField(default=dict)
    verification = JSONField(null=True)
    error = TextField(null=True)
    runner = CharField(null=True)
    # the run's progress, written by its recorder every few seconds: the fleet summary
    # (`davtui status`) sums these instead of reading item state or logs
    items_done = IntegerField(null=True)
    items_total = IntegerField(null=True)
    items_failed = IntegerField(null=True)
    rate = FloatField(null=True)  # items per second over the last half minute


class LogEntry(BaseModel):
    """A log line of a job's run, with the item it concerns when there is one."""

    id = AutoField()  # what peewee adds by itself, written out for type checkers
    job = ForeignKeyField(Job, null=True, backref="logs", on_delete="CASCADE")
    run = ForeignKeyField(Run, null=True, backref="logs", on_delete="CASCADE")
    time = DateTimeField(default=utcnow)
    level = CharField(default="info")
    message = TextField()
    collection = TextField(null=True)
    href = TextField(null=True)
    uid = TextField(null=True)
    summary = TextField(null=True)

    class Meta:
        indexes = ((("job", "id"), False),)


class CollectionState(BaseModel):
    """What a job's source collection maps to, and the ctag/sync-token seen at its last run."""

    id = AutoField()  # what peewee adds by itself, written out for type checkers
    job = ForeignKeyField(Job, backref="collection_states", on_delete="CASCADE")
    source_href = TextField()
    dest_href = TextField(null=True)
    source_ctag = TextField(null=True)
    dest_ctag = TextField(null=True)
    complete = BooleanField(default=False)

    class Meta:
        indexes = ((("job", "source_href"), True),)


class ItemState(BaseModel):
    """What this job last did with one source item: enough to plan the next run without GETs."""

    id = AutoField()  # what peewee adds by itself, written out for type checkers
    job = ForeignKeyField(Job, backref="items", on_delete="CASCADE")
    source_collection = TextField()
    source_href = TextField()
    source_etag = TextField(null=True)
    source_hash = CharField(null=True)
    uid = TextField(null=True)
    kind = CharField(null=True)
    dest_collection = TextField(null=True)
    dest_href = TextField(null=True)
    dest_etag = TextField(null=True)
    dest_hash = CharField(null=True)
    verified_etag = TextField(null=True)  # the destination ETag whose content was verified
    created_by_job = BooleanField(default=False)  # only these may be deleted in mirror mode
    outcome = CharField()
    error = TextField(null=True)
    # what the verification found at verified_etag, when not plain equality, and why
    finding = CharField(null=True)
    finding_reason = TextField(null=True)
    seen_etag = TextField(null=True)  # the destination's ETag when it became a conflict
    # two-way sync: the side that refused the other's version (outcome "refused")
    refused_by = CharField(null=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("job", "source_collection", "source_href"), True),)


class LedgerEntry(BaseModel):
    """One item of a run that was not copied as sent and verified equal (the run's ledger):
    written when the run ends, read by `job show --items` and the TUI's job detail."""

    id = AutoField()  # what peewee adds by itself, written out for type checkers
    run_id: int
    run = ForeignKeyField(Run, backref="ledger", on_delete="CASCADE")
    outcome = CharField()
    collection = TextField(null=True)
    href = TextField(null=True)
    uid = TextField(null=True)
    kind = CharField(null=True)
    summary = TextField(null=True)
    reason = TextField(null=True)
    details = JSONField(default=list)
    kept = TextField(null=True)  # where its bytes are kept (the run's leftovers folder)
    standing = BooleanField(default=False)  # found by an earlier run, not read again

    class Meta:
        indexes = ((("run", "outcome"), False),)


class Change(BaseModel):
    """One row whose counter every write that changes what the jobs screen shows bumps in its
    own transaction (`davtui.store.changes`): a TUI notices other processes' writes by polling
    this one integer instead of rereading every job."""

    id = AutoField()  # what peewee adds by itself, written out for type checkers
    counter = IntegerField(default=0)


MODELS: tuple[type[BaseModel], ...] = (
    Setting,
    Account,
    Job,
    Run,
    LogEntry,
    CollectionState,
    ItemState,
    Change,
    LedgerEntry,
)
