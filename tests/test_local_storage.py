"""The storage contract on the local storages, and what is special to each of them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from davtui.engine.errors import NotFound, PreconditionFailed
from davtui.engine.items.compare import content_hash
from davtui.engine.storages.contract import ADDRESSBOOK, CALENDAR, Collection, ReadOnly
from davtui.engine.storages.file import DamagedItem, FileStorage
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.storages.vdir import VdirStorage
from tests.contract import StorageContract, new_uid, sample_event, sample_task, sample_vcard


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def storage(self) -> MemoryStorage:
        return MemoryStorage()


class TestVdirStorage(StorageContract):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> VdirStorage:
        return VdirStorage(tmp_path / "vdir")


def test_vdir_reads_a_vdirsyncer_folder(tmp_path: Path) -> None:
    """A folder written by vdirsyncer: kind from the files, name and colour from metadata."""
    book = tmp_path / "contacts"
    book.mkdir()
    (book / "displayname").write_text("Friends\n")
    (book / "color").write_text("#00ff00")
    (book / "a.vcf").write_bytes(sample_vcard("a"))
    (tmp_path / ".hidden").mkdir()
    [collection] = VdirStorage(tmp_path).collections()
    assert (collection.href, collection.kind, collection.name, collection.color) == (
        "contacts",
        ADDRESSBOOK,
        "Friends",
        "#00ff00",
    )
    [ref] = VdirStorage(tmp_path).list(collection)
    assert ref.etag == f"{os.stat(book / 'a.vcf').st_mtime_ns};{os.stat(book / 'a.vcf').st_ino}"


def test_vdir_new_collection_is_a_plain_folder(tmp_path: Path) -> None:
    storage = VdirStorage(tmp_path)
    template = Collection(href="x/", kind=ADDRESSBOOK, name="t", description="Work people")
    made = storage.create_collection(template, "Work / People").collection
    folder = tmp_path / made.href
    assert folder.is_dir() and "/" not in made.href
    assert (folder / "displayname").read_text() == "Work / People"
    assert (folder / "description").read_text() == "Work people"
    assert [c.kind for c in storage.collections()] == [ADDRESSBOOK]
    again = storage.create_collection(template, "Work / People").collection
    assert again.href != made.href


def test_vdir_leaves_no_temporary_files_and_refuses_odd_hrefs(tmp_path: Path) -> None:
    storage = VdirStorage(tmp_path)
    collection = storage.create_collection(Collection("", CALENDAR, "c"), "cal").collection
    storage.create(collection, "a.ics", sample_event("a"))
    with pytest.raises(PreconditionFailed):
        storage.create(collection, "a.ics", sample_event("a"))
    assert sorted(p.name for p in (tmp_path / "cal").iterdir()) == [
        ".davtui-kind",
        "a.ics",
        "displayname",
    ]
    [fetched] = storage.fetch(collection, ["../escape.ics"])
    assert isinstance(fetched.error, NotFound)


def test_memory_storage_behind_read_only_has_no_writes() -> None:
    view = ReadOnly(MemoryStorage())
    assert not hasattr(view, "create") and not hasattr(view, "update")


def _write(path: Path, *parts: bytes) -> Path:
    path.write_bytes(b"".join(parts))
    return path


def test_file_storage_splits_and_reports_damage_per_item(tmp_path: Path) -> None:
    good, other = new_uid(), new_uid()
    # an event never ended: where it stops is unknown (a bad value alone would be copied)
    broken = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:bad\r\nDTSTART:$now\r\n"
    path = _write(
        tmp_path / "agenda.ics",
        sample_event(good),
        sample_task(other),
        broken + b"END:VCALENDAR\r\n",
    )
    storage = FileStorage(path)
    [collection] = storage.collections()
    assert (collection.name, collection.kind) == ("agenda", CALENDAR)
    refs = list(storage.list(collection))
    assert len(refs) == 3
    fetched = {f.href: f for f in storage.fetch(collection, [r.href for r in refs])}
    assert fetched[f"{good}.ics"].data is not None
    assert content_hash(fetched[f"{good}.ics"].data) == content_hash(sample_event(good))
    [damaged] = [f for f in fetched.values() if f.error is not None]
    assert isinstance(damaged.error, DamagedItem) and damaged.error.uid == "bad"
    assert "agenda.ics" in str(damaged.error) and not damaged.error.retryable
    assert [p.uid for p in storage.problems] == ["bad"]
    assert storage.collections([ADDRESSBOOK]) == []


def test_file_storage_sniffs_vcards_whatever_the_extension(tmp_path: Path) -> None:
    path = _write(tmp_path / "export.ics", sample_vcard("x1"), sample_vcard("x2", "John Roe"))
    storage = FileStorage(path)
    [collection] = storage.collections()
    assert collection.kind == ADDRESSBOOK
    assert sorted(r.href for r in storage.list(collection)) == ["x1.vcf", "x2.vcf"]
    [missing] = storage.fetch(collection, ["nope.vcf"])
    assert isinstance(missing.error, NotFound)
