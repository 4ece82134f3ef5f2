"""Acceptance of two-way sync (issue 23): weeks of coexistence compressed into seeded rounds.

Radicale ("a", the job's source) and Xandikos ("b") start with 500 items; 20 rounds of random
creates, updates and deletions are written straight to both servers (some on one item on
both sides), then a real `davtui migrate --json` pass with `mode = "sync"`. Five passes are
SIGKILLed at a random write (the first recovery pass too, at its first write) and the next
pass must converge. After every pass both sides hold exactly what `tests/coexist.py`'s model
says, by meaning; at the end a no-change pass reads and writes no item. With the lab's SOGo
(DAVTUI_SOGO=1), what SOGo rewrites on store causes no write on the next pass.

Cheap enough for every run (~30 s): the big collections start identical on both sides, seeded
as files, so the first pass adopts them; the rounds are small (10 operations) and each pass
is incremental.
"""

from __future__ import annotations

import random
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.dav import Dav
from tests.coexist import Side, Workload, meaning, uid_of
from tests.coexist_check import check, gist, shapes
from tests.coexist_run import Account, Pass, Runner
from tests.servers import Server
from tests.sogo import Sogo

SEED = 23
ITEMS, ROUNDS, CHANGES, KILLED = 500, 20, 10, 5
#: both-sides operations only, for the policy tests
CONFLICTS = {"update-both": 6, "update-a-delete-b": 1, "delete-a-update-b": 1, "update-a": 1}


def radicale_side(server: Server) -> tuple[Side, Account]:
    home = {"calendar": "/alice/", "addressbook": "/alice/"}
    folder = server.root / "collections" / "collection-root" / "alice"

    def store(kind: str, segment: str, files: dict[str, bytes]) -> None:
        for name, data in files.items():
            (folder / segment / name).write_bytes(data)

    side = Side("a", Dav(server.url, "alice", "alicepw"), home, store=store)
    return side, Account(server.url, "alice", "alicepw")


def xandikos_side(server: Server) -> tuple[Side, Account]:
    """Xandikos keeps each collection as a git working tree: the seed is one commit."""
    home = {"calendar": "/alice/calendars/", "addressbook": "/alice/contacts/"}

    def store(kind: str, segment: str, files: dict[str, bytes]) -> None:
        folder = server.root / "data" / home[kind].strip("/") / segment
        for name, data in files.items():
            (folder / name).write_bytes(data)
        git = ["git", "-C", str(folder), "-c", "user.name=seed", "-c", "user.email=seed@test"]
        subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
        subprocess.run([*git, "commit", "-qm", "seed"], check=True, capture_output=True)

    side = Side("b", Dav(server.url, "alice", "any"), home, store=store)
    return side, Account(server.url, "alice", "any")


def completed(done: Pass, what: str) -> None:
    """A pass that was not killed ended with a report, without an engine error."""
    assert done.report is not None, f"{what}: no report (exit {done.code}): {done.stderr[-2000:]}"
    assert done.code in (0, 1), f"{what}: exit {done.code}: {done.report.get('error')}"
    assert done.report["status"] == "completed", (what, done.report.get("error"))


def converged(
    workload: Workload, ledger: set[str] | None, what: str, same: Callable = meaning
) -> None:
    problems = check(workload, ledger, same)
    shown = "\n".join(problems[:25])
    assert not problems, f"{what}: {len(problems)} problem(s):\n{shown}"


def first_pass(workload: Workload, runner: Runner, same: Callable = meaning) -> None:
    """Seed, then the first pass: every collection and item appears on the other side."""
    workload.create_collections()
    workload.seed()
    done = runner.run()
    completed(done, "first pass")
    for side in workload.sides.values():
        assert not side.locate(), f"{side.name}: collections not created by the first pass"
    converged(workload, done.ledger, "first pass", same)


@pytest.fixture
def pair(fresh_radicale: Server, fresh_xandikos: Server, tmp_path: Path) -> Iterator[tuple]:
    a, a_account = radicale_side(fresh_radicale)
    b, b_account = xandikos_side(fresh_xandikos)
    yield a, b, a_account, b_account, tmp_path


def test_coexistence_rounds_with_kills_converge(pair, home: Path) -> None:
    a, b, a_account, b_account, workdir = pair
    workload = Workload(a, b, SEED, ITEMS, "newer")
    runner = Runner(workdir, a_account, b_account, "newer")
    rnd = random.Random(SEED)
    kills = set(rnd.sample(range(1, ROUNDS + 1), KILLED))
    killed = 0
    try:
        first_pass(workload, runner)
        for number in range(1, ROUNDS + 1):
            workload.round(number, CHANGES)
            done = runner.run(kill_at=rnd.randint(1, 4) if number in kills else None)
            if done.killed:  # what the killed pass resolved, the next one lists
                killed += 1
                # the first recovery is killed too, at its first write: twice half-done
                done = runner.run(kill_at=1 if killed == 1 else None)
                done = runner.run() if done.killed else done
            completed(done, f"round {number}")
            converged(workload, done.ledger, f"round {number}")
        assert killed == KILLED, f"only {killed} of the {KILLED} passes reached their kill point"
        quiet = runner.run()
        completed(quiet, "no-change pass")
        assert (quiet.reads, quiet.writes) == ({}, {}), (quiet.reads, quiet.writes)
    finally:
        runner.close()


@pytest.mark.parametrize("policy", ["source-wins", "destination-wins", "keep-both"])
def test_conflict_policies(pair, home: Path, policy: str) -> None:
    """Items changed on both sides end as the policy says, every one in the ledger."""
    a, b, a_account, b_account, workdir = pair
    workload = Workload(a, b, SEED, 40, policy)
    runner = Runner(workdir, a_account, b_account, policy)
    try:
        first_pass(workload, runner)
        for number in (1, 2):
            workload.round(number, 6, CONFLICTS)
            done = runner.run()
            completed(done, f"{policy} round {number}")
            converged(workload, done.ledger, f"{policy} round {number}")
    finally:
        runner.close()


@pytest.mark.sogo
def test_sogo_rewrites_cause_no_writes(fresh_radicale: Server, sogo: Sogo, tmp_path: Path, home):
    """Radicale <-> the lab's SOGo: after each pass, a second pass reads and writes no item
    on either side (SOGo's RSVP=TRUE and vCard 3.0 rewrites are its own, not a person's
    edit), for every kind of item the workload writes; the counts are printed (`-s`)."""
    a, a_account = radicale_side(fresh_radicale)
    base = sogo.url.split("/SOGo/")[0] + "/"
    kinds = ("calendar", "addressbook")
    homes = {kind: sogo.home("alice", kind).removeprefix(base[:-1]) for kind in kinds}
    b = Side("b", Dav(base, "alice", sogo.users["alice"]), homes)
    b_account = Account(sogo.url, "alice", sogo.users["alice"])
    covered: Counter[str] = Counter()
    with sogo.tidy("alice"):
        workload = Workload(a, b, SEED, 40, "newer")
        runner = Runner(tmp_path, a_account, b_account, "newer")
        try:
            first_pass(workload, runner, gist)
            for number in range(4):
                if number:
                    workload.round(number, 6)
                    done = runner.run()
                    completed(done, f"round {number}")
                    converged(workload, done.ledger, f"round {number}", gist)
                covered |= _rewritten(workload)
                again = runner.run()
                completed(again, f"round {number}, again")
                asked = dict(sorted(again.asked.items()))
                print(f"SOGo round {number}: the next pass asked {asked}, read items "
                      f"{dict(again.reads)}, wrote {dict(again.writes)}")  # fmt: skip
                assert again.writes == {}, (number, again.writes, again.report["ledger"][:5])
                assert again.reads == {}, (number, again.reads, again.report["ledger"][:5])
        finally:
            runner.close()
    print(f"SOGo holds, by kind (what was sent -> what SOGo made of it): {dict(covered)}")
    wanted = {"event", "recurring", "override", "attendees: RSVP added", "alarm", "task",
              "vcard3", "vcard4 -> 3.0"}  # fmt: skip
    assert wanted <= set(covered), wanted - set(covered)


def _rewritten(workload: Workload) -> Counter[str]:
    """Per kind, the items SOGo ("b") holds as the last check read them; with what SOGo did
    to them: the attendees it gave RSVP=TRUE, the vCards 4.0 it stores as 3.0."""
    counted: Counter[str] = Counter()
    held = {uid_of(data): data for _, data in workload.sides["b"].seen.values()}
    for items in workload.model.values():
        for uid, sent in items.items():
            there = held.get(uid)
            if there is None:
                continue
            for shape in shapes(sent):
                if shape == "vcard4" and b"VERSION:3.0" in there:
                    shape = "vcard4 -> 3.0"
                if shape == "attendees" and there.count(b"RSVP=TRUE") > sent.count(b"RSVP=TRUE"):
                    shape = "attendees: RSVP added"
                counted[shape] += 1
    return counted


@pytest.mark.parametrize("logical", ["book", "work"])
@pytest.mark.parametrize("same", [True, False], ids=["same", "edited"])
@pytest.mark.parametrize("own", [True, False], ids=["own-name", "uid-name"])
def test_mirror_meets_a_uid_created_on_both_sides(
    pair, home: Path, logical: str, same: bool, own: bool
) -> None:
    """A one-way mirror, after a person created an item of one UID on both sides, in the
    destination at a name of its own or at the one davtui would give it: the destination
    holds that UID once, then and on the next pass. The same content is adopted; another is
    a conflict (policy skip), listed on every pass and never overwritten. Before, Xandikos
    got the contact twice and refused the event with 412 (own name), and the second pass
    overwrote the destination's version (either name)."""
    a, b, a_account, b_account, workdir = pair
    workload = Workload(a, b, SEED, 4)
    workload.create_collections()
    runner = Runner(workdir, a_account, b_account, "skip", mode="mirror")
    try:
        completed(runner.run(), "first pass")
        uid = f"cx-twice-{logical}@coexist.example.org"
        data = workload.new_item(logical, uid)
        a.put(logical, uid, data)
        name = ("x0b1." if own else f"{uid}.") + ("vcf" if logical == "book" else "ics")
        theirs = data if same else workload.edit(logical, data, "b")
        b.put(logical, uid, theirs, name)
        for number in (1, 2):
            done = runner.run()
            assert done.report is not None, done.stderr[-2000:]
            found = [(h, d) for h, _, d in b.read(logical) if uid_of(d) == uid]
            assert [h.rsplit("/", 1)[-1] for h, _ in found] == [name], (number, found)
            assert gist(found[0][1]) == gist(theirs), number
            outcomes = {e["uid"]: e["outcome"] for e in done.report["ledger"]}
            if same:
                assert (done.code, outcomes) == (0, {}), (number, done.report["ledger"])
            else:
                assert (done.code, outcomes) == (1, {uid: "conflict"}), done.report["ledger"]
    finally:
        runner.close()
