"""The log's search index (`davtui.store.search`): filled after the log writers, never in their
transactions; the same lines as a scan whatever part of the log it holds, also after the
newest rows were deleted and their ids reused; gone triggers of the earlier index; pg_trgm on
PostgreSQL. The stress of many writers and searchers at once is in test_search_stress.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from davtui.store.models import Account, Job, LogEntry, Run, database
from davtui.store.search import MARK, TABLE, catch_up, indexed_upto, matching
from tests.pg import pg_cluster, pg_url  # noqa: F401  (fixtures)


@pytest.fixture
def store(home: Path) -> Iterator[Path]:
    from davtui.store import close_database, open_database

    path = home / "s.db"
    open_database(str(path))
    yield path
    close_database()


def write(job_name: str, lines: int, word: str) -> Job:
    """A job with one run and `lines` log rows, each naming `word` and its own UID."""
    one = Account.get_or_create(name="a", url="https://a.example.org/")[0]
    two = Account.get_or_create(name="b", url="https://b.example.org/")[0]
    job = Job.create(name=job_name, source=one, destination=two)
    run = Run.create(job=job)
    with database.atomic():
        for n in range(lines):
            LogEntry.create(
                job=job, run=run, message=f"copied: {word} {n}", uid=f"{job_name}-{n}@example.org",
                summary=f"{word.title()} meeting {n}",
            )  # fmt: skip
    return job


def found(text: str) -> list[int]:
    return [i for (i,) in LogEntry.select(LogEntry.id).where(matching(text)).tuples()]


def scanned(text: str) -> list[int]:
    """What a scan finds: the truth the index must give back."""
    needle = text.lower()
    rows = LogEntry.select(LogEntry.id, LogEntry.message, LogEntry.uid, LogEntry.summary)
    return [
        i for i, *texts in rows.tuples() if any(needle in (t or "").lower() for t in texts)
    ]  # fmt: skip


def indexed_rows() -> int:
    return database.execute_sql(f"SELECT count(*) FROM {TABLE}").fetchone()[0]


def test_the_index_is_empty_after_the_upgrade_and_caught_up_in_batches(store: Path) -> None:
    write("j1", 30, "dentist")
    assert indexed_upto() == 0  # step 9 made it; the log writers never touch it
    assert found("DENTIST 1") == scanned("dentist 1")  # unindexed rows are read directly
    assert catch_up(budget=None) is True
    top = LogEntry.select(LogEntry.id).order_by(LogEntry.id.desc()).scalar()
    assert indexed_upto() == top and indexed_rows() == 30


def test_a_search_finds_the_same_lines_in_and_above_the_index(store: Path) -> None:
    write("j1", 40, "dentist")
    catch_up(budget=None)
    write("j2", 40, "dentist")  # above the mark: not indexed yet
    for text in ("dentist", "DENTIST 3", "j2-17@", "j1-3", "meeting 39", 'say "hi"', "st 1"):
        assert found(text) == scanned(text), text
    assert len(found("dentist")) == 80
    catch_up(budget=None)
    assert found("j2-17@") == scanned("j2-17@") and len(found("dentist 1")) == 22


def test_removed_rows_are_never_found_and_reused_ids_are_indexed_again(store: Path) -> None:
    write("j1", 20, "dentist")
    newest = write("j2", 20, "plumber")
    catch_up(budget=None)
    before = indexed_upto()
    Job.delete().where(Job.id == newest.id).execute()  # its log goes (a cascade)
    write("j3", 30, "painter")  # SQLite gives the gone rows' ids to these
    reused = LogEntry.select(LogEntry.id).where(LogEntry.id <= before).count()
    assert reused > 20  # the case itself: ids the index holds now name other lines
    assert indexed_upto() is None  # so a search scans until the index is mended
    assert found("plumber") == []
    assert found("painter") == scanned("painter") and len(found("painter")) == 30
    catch_up(budget=None)
    assert found("plumber") == [] and len(found("painter")) == 30
    assert found("painter 2") == scanned("painter 2")
    assert indexed_rows() == LogEntry.select().count()  # the stale entries were dropped


def test_rows_removed_below_the_mark_leave_the_rest_indexed(store: Path) -> None:
    oldest = write("j1", 20, "dentist")
    write("j2", 20, "plumber")
    catch_up(budget=None)
    mark = indexed_upto()
    Job.delete().where(Job.id == oldest.id).execute()
    assert found("dentist") == []  # at once: every candidate is joined to the log
    catch_up(budget=None)
    assert indexed_upto() == mark  # nothing above the mark changed: nothing to redo
    assert found("dentist") == [] and len(found("plumber")) == 20
    assert indexed_rows() == 20  # and the sweep took the gone rows' entries out


def test_the_sweep_goes_round_the_index(store: Path) -> None:
    jobs = [write(f"j{n}", 30, f"word{n}") for n in range(4)]
    catch_up(budget=None)
    Job.delete().where(Job.id == jobs[0].id).execute()
    catch_up()
    assert indexed_rows() == 90
    Job.delete().where(Job.id.in_([jobs[1].id, jobs[2].id])).execute()  # after a full round
    catch_up()
    assert indexed_rows() == 30 and len(found("word3")) == 30 and found("word1") == []


def test_without_the_index_a_search_scans(store: Path) -> None:
    """What a SQLite without FTS5 or its trigram tokenizer gets: step 9 makes no index."""
    database.execute_sql(f"DROP TABLE {TABLE}")
    database.execute_sql(f"DROP TABLE {MARK}")
    write("j1", 20, "dentist")
    assert indexed_upto() is None and catch_up(budget=None) is True
    assert found("DENTIST 1") == scanned("dentist 1") and len(found("dentist")) == 20


def test_the_earlier_trigger_kept_index_is_taken_out_on_upgrade(store: Path) -> None:
    from davtui.store import close_database, open_database

    database.execute_sql(
        "CREATE VIRTUAL TABLE logsearch USING fts5(message, collection, uid, summary, "
        "content='log_entry', content_rowid='id', tokenize='trigram')"
    )
    database.execute_sql(
        "CREATE TRIGGER logsearch_insert AFTER INSERT ON log_entry BEGIN INSERT INTO "
        "logsearch (rowid, message, collection, uid, summary) VALUES "
        "(new.id, new.message, new.collection, new.uid, new.summary); END"
    )
    database.execute_sql(f"DROP TABLE {TABLE}")
    database.execute_sql(f"DROP TABLE {MARK}")
    database.execute_sql("PRAGMA user_version = 7")
    close_database()
    open_database(str(store))
    con = sqlite3.connect(store)
    names = {name for (name,) in con.execute("SELECT name FROM sqlite_master")}
    con.close()
    assert "logsearch_insert" not in names and "logsearch" not in names
    assert {TABLE, MARK} <= names


def test_postgresql_has_trigram_indexes_on_the_searched_columns(pg_url: str, home: Path) -> None:  # noqa: F811
    from davtui.store import close_database, open_database

    open_database(pg_url)
    try:
        names = {index.name for index in database.get_indexes("log_entry")}
        assert {f"log_entry_{c}_trgm" for c in ("message", "collection", "uid", "summary")} <= names
        assert indexed_upto() is None and catch_up() is True  # PostgreSQL keeps its own
        write("j1", 10, "dentist")
        assert len(found("DENTIST 1")) == 1 and found("ntis") == found("dentist")
    finally:
        close_database()
