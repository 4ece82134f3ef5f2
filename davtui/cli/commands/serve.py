"""`davtui serve`: the same TUI in a browser tab, through textual-serve.

Each browser tab gets a full davtui of its own (a child process `davtui --no-queue` on the
same database, driven by textual-serve's web driver over a websocket); the tabs only queue,
pause and stop jobs, as the CLI does. This process runs the job queue itself, as `--headless`
does, so a job started from a tab keeps running when the tab closes or the laptop sleeps, and
several tabs see the same jobs (each polls the database's change counter).

The aiohttp application is ours, not textual-serve's: `Server` builds its own app privately
and offers no way to add a middleware, so we route to its public handlers (`handle_websocket`,
`handle_download`, its templates and static files) behind our token check
(`davtui.cli.webaccess`), and render its page with URLs that follow the host the browser
asked for (or `--public-url` behind a proxy).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import shlex
import socket
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from davtui import exitcodes
from davtui.cli.subcommands import Subcommands

#: How often the job runner looks for jobs a tab queued, when none runs.
POLL_SECONDS = 1.0
#: How long tabs get to end when the server stops.
CLOSE_SECONDS = 5.0
TITLE = "davtui"


def register(sub: Subcommands) -> None:
    serve = sub.add_parser(
        "serve",
        help="the TUI in a browser (one davtui per tab; this process runs the jobs)",
        description="Serve the davtui TUI to browsers. Prints the URL to open, with an access "
        "token; nothing is served without it. Runs the job queue like --headless: jobs started "
        "from a tab keep running when it closes.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (8080; 0: any)")
    serve.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help="a fixed access token from FILE (mode 0600) instead of a random one per start",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL browsers use, behind a reverse proxy (e.g. https://dav.example.org/davtui)",
    )
    serve.add_argument(
        "--workers", type=int, metavar="N", help="run N jobs at once (default: the TUI's setting)"
    )
    serve.set_defaults(handler=run)


def run(ctx: Any) -> int:
    """Check the options, start the job runner and the web server; stop both on a signal."""
    from davtui.cli.headless import stop_on_signals
    from davtui.cli.webaccess import TokenFileError, new_token, read_token_file

    args = ctx.args
    try:
        public_url = check_public_url(args.public_url)
        if not 0 <= args.port <= 65535:
            raise ValueError(f"--port {args.port} is not a port (0 to 65535)")
        if args.workers is not None and args.workers < 1:
            raise ValueError("--workers must be at least 1")
        token = read_token_file(args.token_file) if args.token_file else new_token()
    except (ValueError, TokenFileError) as exc:
        print(f"davtui: {exc}.".replace("..", "."), file=sys.stderr)
        return exitcodes.USAGE
    if not is_loopback(args.host):
        print(
            f"davtui: warning: serving on {args.host} in plain HTTP: the token and your data "
            "cross the network unencrypted. Put a reverse proxy with TLS in front (see the "
            "README, 'davtui in a browser') and pass --public-url.",
            file=sys.stderr,
        )
    shutdown = stop_on_signals()
    try:
        return asyncio.run(serve_until(shutdown, args, token, public_url))
    finally:
        shutdown.set()


def check_public_url(url: str | None) -> str | None:
    """`--public-url` without its trailing slash, if it is an http(s) URL with a host."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ValueError(f"--public-url {url!r} is not an http:// or https:// URL")
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tab_command(db: str) -> str:
    """The shell command textual-serve starts for each tab: davtui without its own job queue.

    A database URL may hold a password, which `ps` would show: it reaches the tab through
    the environment (`DAVTUI_DB`, inherited) instead of the command line."""
    command = [sys.executable, "-m", "davtui", "--no-queue"]
    if "://" in db:
        os.environ["DAVTUI_DB"] = db
    else:  # absolute: the tab does not depend on the directory it starts in
        command[3:3] = ["--db", str(Path(db).resolve())]
    return shlex.join(command)


def run_jobs(shutdown: threading.Event, verbose: int, workers: int | None) -> None:
    """The job queue of the server, until `shutdown`: the dispatcher `--headless` and the TUI
    use, running forever and looking every POLL_SECONDS for jobs a tab queued."""
    from davtui.cli.console import Console
    from davtui.engine.jobs.dispatcher import Dispatcher, Ended
    from davtui.store.models import Job, Setting, database

    consoles: dict[int, Console] = {}

    def console_of(job_id: int) -> Console:
        consoles[job_id] = Console(sys.stderr, verbose, label=Job.get_by_id(job_id).name)
        return consoles[job_id]

    def finished_job(ended: Ended) -> None:
        consoles.pop(ended.job_id).finish(ended.finished, ended.duration)

    try:
        while not shutdown.is_set():
            saved = Setting.get_or_none(Setting.key == "workers")  # the TUI's parallel jobs
            count = workers or (saved.value if saved and isinstance(saved.value, int) else 1)
            dispatcher = Dispatcher(
                max(1, min(count, 8)),
                listener_for=console_of,
                on_finished=finished_job,
                forever=True,
                idle_wait=POLL_SECONDS,
                shutdown=shutdown,
            )
            try:
                dispatcher.run()
            except Exception as exc:  # a bug or a database gone: say it, keep serving
                print(f"davtui serve: the job queue failed: {exc}", file=sys.stderr)
                shutdown.wait(POLL_SECONDS * 5)
    finally:
        database.close()


async def serve_until(
    shutdown: threading.Event, args: argparse.Namespace, token: str, public_url: str | None
) -> int:
    """Listen, then start the job runner (a server that cannot listen takes no job), print
    the URL, serve until `shutdown` is set, then close the tabs and wait for the runner."""
    from aiohttp import web

    from davtui.cli.webaccess import PathOnlyAccessLogger, access_logger
    from davtui.paths import db_location

    app = web_app(tab_command(db_location(args.db)), token, public_url)
    log = access_logger(args.verbose)
    runner = web.AppRunner(
        app,
        access_log=log,
        access_log_class=PathOnlyAccessLogger,
        shutdown_timeout=CLOSE_SECONDS,
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, args.host, args.port).start()
    except OSError as exc:
        await runner.cleanup()
        print(f"davtui: cannot listen on {args.host}:{args.port} ({exc.strerror}).",
              file=sys.stderr)  # fmt: skip
        return exitcodes.USAGE
    port = runner.addresses[0][1]
    base = public_url or f"http://{url_host(args.host)}:{port}"
    if args.token_file:
        shown = f"{base}/?token=<the token in {args.token_file}>"
    else:
        shown = f"{base}/?token={token}"
    print(f"davtui serve: open {shown}", flush=True)
    print(
        f"davtui serve: listening on {url_host(args.host)}:{port}; jobs run in this process; "
        "Ctrl+C stops it.",
        flush=True,
    )
    jobs = threading.Thread(
        target=run_jobs, args=(shutdown, args.verbose, args.workers), name="jobs"
    )
    jobs.start()
    try:
        await asyncio.to_thread(shutdown.wait)
    finally:
        shutdown.set()
        await runner.cleanup()
        await asyncio.to_thread(jobs.join)
    return exitcodes.OK


def url_host(host: str) -> str:
    """The host part of the printed URL: a name a browser can reach."""
    if host in ("0.0.0.0", "::", ""):
        return socket.getfqdn()
    return f"[{host}]" if ":" in host else host


def web_app(command: str, token: str, public_url: str | None):
    """The aiohttp app: textual-serve's page, websocket, downloads and assets, behind the
    token. The `Server` object is only used for its public handlers and file locations."""
    import aiohttp_jinja2
    import jinja2
    from aiohttp import web
    from textual_serve.server import Server

    from davtui.cli.webaccess import token_middleware

    server = Server(command, title=TITLE, public_url=public_url)
    secure = bool(public_url and public_url.startswith("https://"))
    app = web.Application(middlewares=[token_middleware(token, public_url, secure)])
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(server.templates_path))

    async def index(request: web.Request) -> web.Response:
        base = public_url or f"{request.scheme}://{request.host}"
        scheme, rest = base.split(":", 1)
        context = {
            "font_size": font_size(request.query.get("fontsize")),
            "app_websocket_url": f"{'wss' if scheme == 'https' else 'ws'}:{rest}/ws",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": TITLE},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    tabs: set[asyncio.Task] = set()

    async def websocket(request: web.Request) -> web.StreamResponse:
        """textual-serve's websocket handler, known to `close_tabs` while it runs."""
        task = asyncio.current_task()
        assert task is not None
        tabs.add(task)
        try:
            return await server.handle_websocket(request)
        finally:
            tabs.discard(task)

    async def close_tabs(_app: web.Application) -> None:
        """On stop, end every tab at once (its handler closes the socket and tells its davtui
        to quit) rather than after the server's grace period."""
        for task in list(tabs):
            task.cancel()

    app.on_shutdown.append(close_tabs)
    app.add_routes(
        [
            web.get("/", index, name="index"),
            web.get("/ws", websocket, name="websocket"),
            web.get("/download/{key}", server.handle_download, name="download"),
            web.static("/static", server.statics_path, name="static"),
        ]
    )
    return app


def font_size(text: str | None) -> int:
    """`?fontsize=` of the page, within reason (16 by default)."""
    try:
        return min(max(int(text or 16), 6), 48)
    except ValueError:
        return 16
