"""`davtui demo`: a real migration in one command, with nothing of the user's touched.

Two Radicale servers on free loopback ports (data, users, database and key in one temporary
directory), the source's storage folder written with a realistic mix (recurring events with
exceptions, all-day events, time zones, alarms, attendees, tasks, contacts) before it starts,
two accounts and a pending job; then the TUI opens on the Jobs screen, shows the servers' URLs
and logins, and `s` starts the job. Everything is stopped and removed on exit, Ctrl+C included.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from davtui.cli.subcommands import Subcommands

if TYPE_CHECKING:
    from davtui.tui.app import DavtuiApp

NEEDS_RADICALE = "davtui demo needs Radicale: pip install -e '.[demo]'"
USER = "alice"
FIRST = "Ada Alan Bea Carl Dana Emil Fay Gus Hana Ivan Jo Kai Lea Milo Nia Omar Pia Raul Sara Tom"
LAST = "Berg Costa Dubois Eriksen Fischer Garcia Haas Ito Jensen Kowalski Lind Moreau Novak Okafor"
TOPICS = (
    "Budget review", "Dentist", "Lunch with Sam", "Sprint planning", "Yoga", "Call the bank",
    "1:1 with Dana", "Car service", "Piano lesson", "Release retro", "Book club", "Flight to Lyon",
)  # fmt: skip
TASKS = (
    "Renew passport", "File tax return", "Order printer ink", "Plan the garden", "Back up laptop",
    "Write the Q3 report", "Return library books", "Fix the bike light", "Send thank-you cards",
    "Book summer holiday",
)  # fmt: skip
TIMEZONES = {
    "Europe/Berlin": ("+0100", "+0200", "CET", "CEST", "-1SU;BYMONTH=3", "-1SU;BYMONTH=10"),
    "America/New_York": ("-0500", "-0400", "EST", "EDT", "2SU;BYMONTH=3", "1SU;BYMONTH=11"),
}
SIDES = ("source", "destination")  # the two servers, in this order everywhere
START = date(2026, 3, 2)  # a Monday: the sample weeks
STOP_WAIT = 2.0  # seconds a server gets to end on SIGTERM before it is killed


@dataclass
class Radicale:
    """A Radicale: its base URL, its user's password, and the process group we started."""

    url: str
    password: str
    proc: subprocess.Popen | None = None

    def stop(self) -> None:
        stop_all([self])


def stop_all(servers: list[Radicale]) -> None:
    """SIGTERM to every server at once, then a short wait each, then SIGKILL: its data is
    thrown away, so quitting the demo never waits on a server that is slow to end."""
    running = [s.proc for s in servers if s.proc is not None and s.proc.poll() is None]
    for proc in running:
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT
    for proc in running:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def start_radicale(root: Path) -> Radicale:
    """Radicale on a free 127.0.0.1 port with one plain-htpasswd user, data under `root`
    (its storage folder `root/data` may be written beforehand: see `write_sample`)."""
    root.mkdir(parents=True, exist_ok=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    password = secrets.token_urlsafe(12)
    (root / "users").write_text(f"{USER}:{password}\n")
    (root / "config").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\n"
        f"htpasswd_filename = {root / 'users'}\nhtpasswd_encryption = plain\ndelay = 0\n"
        f"[rights]\ntype = owner_only\n[storage]\nfilesystem_folder = {root / 'data'}\n"
        "[logging]\nlevel = warning\nmask_passwords = True\n"
    )
    with open(root / "radicale.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "radicale", "-C", str(root / "config")],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Radicale(f"http://127.0.0.1:{port}/", password, proc)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(server.url, timeout=1)
            return server
        except urllib.error.HTTPError:
            return server
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"Radicale did not start; see {root / 'radicale.log'}") from None
            time.sleep(0.05)


def _vtimezone(tzid: str) -> list[str]:
    std, dst, std_name, dst_name, dst_rule, std_rule = TIMEZONES[tzid]
    return [
        "BEGIN:VTIMEZONE", f"TZID:{tzid}",
        "BEGIN:DAYLIGHT", f"TZOFFSETFROM:{std}", f"TZOFFSETTO:{dst}", f"TZNAME:{dst_name}",
        "DTSTART:19700308T020000", f"RRULE:FREQ=YEARLY;BYDAY={dst_rule}", "END:DAYLIGHT",
        "BEGIN:STANDARD", f"TZOFFSETFROM:{dst}", f"TZOFFSETTO:{std}", f"TZNAME:{std_name}",
        "DTSTART:19701101T020000", f"RRULE:FREQ=YEARLY;BYDAY={std_rule}", "END:STANDARD",
        "END:VTIMEZONE",
    ]  # fmt: skip


def _calendar(components: list[list[str]], tzid: str | None = None) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//davtui//demo//EN"]
    lines += _vtimezone(tzid) if tzid else []
    lines += [line for component in components for line in component]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _event(rng: random.Random, uid: str, index: int) -> bytes:
    """One event resource; its index decides which features it shows."""
    day = START + timedelta(days=rng.randrange(0, 70))
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randrange(8, 19))
    end = start + timedelta(minutes=rng.choice((30, 45, 60, 90)))
    summary = rng.choice(TOPICS)
    body = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260301T080000Z", f"SUMMARY:{summary}"]
    tzid = None
    if index % 6 == 0:  # all day, maybe several days
        body += [
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(2):%Y%m%d}",
        ]
        body[3] = "SUMMARY:" + rng.choice(("Conference", "Holiday", "Family visit"))
    else:
        tzid = "America/New_York" if index % 5 == 0 else "Europe/Berlin"
        body += [f"DTSTART;TZID={tzid}:{_stamp(start)}", f"DTEND;TZID={tzid}:{_stamp(end)}"]
        body.append(f"LOCATION:{rng.choice(('Room 4.12', 'Café Central', 'Online', 'Home'))}")
    if index % 4 == 1:
        people = rng.sample(FIRST.split(), 3)
        body.append(f"ORGANIZER;CN={people[0]}:mailto:{people[0].lower()}@example.org")
        body += [
            f"ATTENDEE;CN={p};PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{p.lower()}@example.org"
            for p in people[1:]
        ]
    components = [body]
    if tzid and index % 7 == 2:  # weekly, with a cancelled week and a moved one
        body.append("RRULE:FREQ=WEEKLY;COUNT=12")
        body.append(f"EXDATE;TZID={tzid}:{_stamp(start + timedelta(weeks=3))}")
        moved = start + timedelta(weeks=5)
        components.append(
            [
                "BEGIN:VEVENT",
                f"UID:{uid}",
                "DTSTAMP:20260301T080000Z",
                f"RECURRENCE-ID;TZID={tzid}:{_stamp(moved)}",
                f"SUMMARY:{summary} (moved)",
                f"DTSTART;TZID={tzid}:{_stamp(moved + timedelta(hours=2))}",
                f"DTEND;TZID={tzid}:{_stamp(moved + timedelta(hours=3))}",
                "END:VEVENT",
            ]
        )
    if index % 3 == 0:  # alarms come after the event's properties
        body += ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder", "TRIGGER:-PT15M"]
        body.append("END:VALARM")
    body.append("END:VEVENT")
    return _calendar(components, tzid)


def _task(rng: random.Random, uid: str, index: int) -> bytes:
    due = START + timedelta(days=rng.randrange(0, 60))
    body = ["BEGIN:VTODO", f"UID:{uid}", "DTSTAMP:20260301T080000Z"]
    body += [f"SUMMARY:{TASKS[index % len(TASKS)]}", f"DUE;VALUE=DATE:{due:%Y%m%d}"]
    body += [f"PRIORITY:{rng.choice((1, 5, 9))}"]
    body += (
        ["STATUS:COMPLETED", "PERCENT-COMPLETE:100"] if index % 4 == 0 else ["STATUS:NEEDS-ACTION"]
    )
    return _calendar([[*body, "END:VTODO"]])


def _contact(rng: random.Random, uid: str, index: int) -> bytes:
    first = FIRST.split()[index % 20]
    last = LAST.split()[(index * 3 + index // 14) % 14]
    lines = [
        "BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{first} {last}", f"N:{last};{first};;;",
        f"EMAIL;TYPE=INTERNET:{first.lower()}.{last.lower()}{index}@example.org",
        f"TEL;TYPE=CELL:+49 151 {rng.randrange(1000000, 9999999)}",
    ]  # fmt: skip
    if index % 3 == 0:
        lines += [f"ORG:{rng.choice(('Acme GmbH', 'Globex', 'Initech'))}", "TITLE:Engineer"]
    if index % 5 == 0:
        lines.append(f"BDAY:19{rng.randrange(60, 99)}-0{rng.randrange(1, 9)}-1{index % 9}")
    if index % 4 == 0:
        lines.append("ADR;TYPE=HOME:;;Hauptstraße 5;Berlin;;10115;Germany")
    return ("\r\n".join([*lines, "END:VCARD"]) + "\r\n").encode()


#: collection path -> (display name, kind, item maker, count)
SAMPLE = {
    "personal/": ("Personal", "calendar", _event, 70),
    "work/": ("Work", "calendar", _event, 80),
    "tasks/": ("Tasks", "calendar", _task, 20),
    "contacts/": ("Contacts", "addressbook", _contact, 60),
}


def write_sample(storage: Path) -> dict[str, int]:
    """Write the sample collections into a Radicale storage folder (`filesystem_folder`)
    before the server starts; returns items per collection.

    Radicale serves a collection folder of item files as it finds them (`.Radicale.props`
    says its kind and name), so this takes milliseconds where 230 PUTs took 18 s on a loaded
    machine, and the TUI's first frame comes at once."""
    rng = random.Random(5)  # the same data every time
    home = storage / "collection-root" / USER
    for path, (name, kind, make, count) in SAMPLE.items():
        folder = home / path.rstrip("/")
        folder.mkdir(parents=True)
        tag, extension = ("VCALENDAR", ".ics") if kind == "calendar" else ("VADDRESSBOOK", ".vcf")
        props = {"D:displayname": name, "tag": tag}
        (folder / ".Radicale.props").write_text(json.dumps(props), encoding="utf-8")
        for index in range(count):
            uid = f"demo-{path.rstrip('/')}-{index:03d}"
            (folder / f"{uid}{extension}").write_bytes(make(rng, uid, index))
    return {name: count for name, _kind, _make, count in SAMPLE.values()}


def create_job(source: Radicale, destination: Radicale) -> int:
    """The two accounts (passwords in the vault) and a pending job; the database is open."""
    from davtui.store import Vault
    from davtui.store.models import Account, Job

    vault = Vault.open()
    accounts = []
    for name, server in (("demo-source", source), ("demo-destination", destination)):
        accounts.append(
            Account.create(
                name=name,
                url=server.url,
                username=USER,
                secret=vault.encrypt(server.password),
                preset="radicale",
            )
        )
    job = Job.create(
        name="demo-migration",
        source=accounts[0],
        destination=accounts[1],
        suppress_invitations=True,
    )
    return job.id


def server_lines(servers: list[Radicale], root: Path) -> list[str]:
    """Where the demo's servers are and how to log in, and how to point the CLI at the demo's
    database: what a user needs to try the same data with the CLI or a calendar app."""
    lines = [
        f"{side}: {server.url} login {USER} / {server.password}"
        for side, server in zip(SIDES, servers, strict=True)
    ]
    env = f"DAVTUI_DB={root / 'davtui.db'} DAVTUI_KEY_FILE={root / 'key'}"
    return [*lines, f"CLI: {env} davtui job list"]


def demo_app(db: str, lines: list[str]) -> DavtuiApp:
    """The TUI on the demo's database; it opens with the servers' URLs and logins shown."""
    from davtui.tui.app import DavtuiApp

    return DavtuiApp(db, greeting="\n".join(lines))


def start_servers(root: Path, meanwhile: Callable[[], object]) -> list[Radicale]:
    """Source and destination started side by side, `meanwhile` (loading the TUI) done while
    they come up. If one fails to start, or `meanwhile` fails or is interrupted (Ctrl+C), the
    servers that did start are stopped: they run in sessions of their own and would outlive us.
    """
    starting: list[Future[Radicale]] = []
    try:
        with ThreadPoolExecutor(2) as pool:  # its exit waits for both starts, Ctrl+C or not
            starting += [pool.submit(start_radicale, root / side) for side in SIDES]
            meanwhile()
    except BaseException:
        stop_all([future.result() for future in starting if future.exception() is None])
        raise
    started = [future.result() for future in starting if future.exception() is None]
    failed = [error for future in starting if (error := future.exception()) is not None]
    if failed:
        stop_all(started)
        raise failed[0]
    return started


def run(_ctx: object = None) -> int:
    """Seed, start, open the TUI; clean up whatever happens."""
    if importlib.util.find_spec("radicale") is None:
        print(NEEDS_RADICALE, file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="davtui-demo-"))
    servers: list[Radicale] = []
    os.environ["DAVTUI_KEY_FILE"] = str(root / "key")
    os.environ.pop("DAVTUI_KEY", None)
    try:
        print("Starting two Radicale servers with sample data…", flush=True)
        write_sample(root / "source" / "data")
        servers = start_servers(root, lambda: importlib.import_module("davtui.tui.app"))
        from davtui.store import close_database, open_database

        db = str(root / "davtui.db")
        open_database(db)
        create_job(*servers)
        lines = server_lines(servers, root)
        print("\n".join(lines), flush=True)  # still there on the terminal after the TUI
        demo_app(db, lines).run()
        close_database()
    except KeyboardInterrupt:
        return 130
    except RuntimeError as exc:  # a server did not start: its log says why
        print(f"davtui: {exc}", file=sys.stderr)
        return 1
    finally:
        stop_all(servers)
        shutil.rmtree(root, ignore_errors=True)
    print("Demo ended: its servers are stopped and their data removed.")
    return 0


def register(sub: Subcommands) -> None:
    demo = sub.add_parser(
        "demo", help="try davtui on two local Radicale servers with sample data (throw-away)"
    )
    demo.set_defaults(handler=run, needs_store=False)
