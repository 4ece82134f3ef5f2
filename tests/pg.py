"""A private PostgreSQL cluster for tests: Debian's server binaries, initdb into a temporary
directory, started on a free loopback port as the `postgres` system user (the server refuses
to run as root), stopped and removed at the end of the session.

Without the server binaries or the driver the PostgreSQL tests are skipped with the reason;
in CI (CI=true) they fail instead, so a broken install cannot pass as green."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import NoReturn

import pytest

_databases = count(1)


@dataclass
class Cluster:
    port: int
    bindir: Path
    datadir: Path
    sudo: list[str]

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self) -> str:
        """A new, empty database in the cluster; its URL."""
        import psycopg2

        name = f"davtui_{next(_databases)}"
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres")
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        conn.close()
        return self.url(name)

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.datadir.parent, ignore_errors=True)

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.sudo, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", *args],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail in CI: the PostgreSQL tests must run there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}")
    pytest.skip(reason)


def server_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_cluster() -> Cluster:
    bindir = server_bindir()
    if bindir is None:
        unavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        unavailable("the psycopg2 driver is not installed (pip install 'davtui[test]')")
    root = Path(tempfile.mkdtemp(prefix="davtui-pg-"))
    try:
        return _start_in(root, bindir)
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        unavailable(f"the PostgreSQL test cluster did not start: {exc}")


def _start_in(root: Path, bindir: Path) -> Cluster:
    sudo: list[str] = []
    if os.geteuid() == 0:  # the server refuses root: run it as the postgres system user
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise OSError("no 'postgres' system user to run the server as") from None
        os.chown(root, user.pw_uid, user.pw_gid)
        sudo = ["runuser", "-u", "postgres", "--"]
    datadir = root / "data"
    subprocess.run(
        [*sudo, str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust",
         "-E", "UTF8", "--locale=C", "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    cluster = Cluster(free_port(), bindir, datadir, sudo)
    options = f"-p {cluster.port} -h 127.0.0.1 -k {root} -c fsync=off -c max_connections=200"
    cluster._pg_ctl("-l", str(root / "log"), "-o", options, "start")
    return cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """The URL of a fresh database of this test alone."""
    return pg_cluster.create_database()
