"""The guided mailcow/Zimbra path of the TUI (issue 8), driven with keys as a user drives it.

The account form builds a SOGo/Zimbra/Carbonio DAV root from a host and a login; the job form
ticks "suppress invitations" for a SOGo destination and the default-collection rule for a
Zimbra or Carbonio source. The made-up accounts point at a closed port on 127.0.0.1, so the
job form's collection discovery fails at once and nothing leaves this machine; one test logs
in to the lab's real SOGo with the URL the form built.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Label

from davtui.engine.dav.discovery import candidates
from davtui.engine.storages.contract import AccountSpec
from davtui.store import close_database
from davtui.store.models import Account, Job
from davtui.tui.app import DavtuiApp
from davtui.tui.screens import AccountForm, JobForm
from davtui.tui.screens.account_form import GUIDED, guided_url
from davtui.tui.screens.job_form import SOGO_HINT
from tests.sogo import Sogo
from tests.test_tui import until

# Presses of "up" that move the Server select from Other to each preset.
UP = {"sogo": 8, "zimbra": 7, "carbonio": 6, "radicale": 4}


@pytest.fixture
async def app(home: Path) -> AsyncIterator[DavtuiApp]:
    yield DavtuiApp(str(home / "davtui.db"), run_jobs=False)
    close_database()


@pytest.fixture(scope="module")
def closed() -> str:
    """127.0.0.1:PORT with nothing listening: a connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def value(pilot: Pilot, selector: str) -> str | bool:
    return pilot.app.screen.query_one(selector, Input | Checkbox).value  # type: ignore[arg-type]


async def open_account_form(pilot: Pilot, name: str, preset: str) -> None:
    """Accounts, add, type the name and choose `preset` in the Server select."""
    await pilot.press("1", "a", *name, "tab", "enter", *["up"] * UP[preset], "enter")


async def add_guided(pilot: Pilot, name: str, preset: str, host: str, login: str, pw: str = ""):
    """The guided path: host, then (past the filled URL) the login and the password."""
    await open_account_form(pilot, name, preset)
    await pilot.press("tab", *host, "tab", "tab", *login, "tab", *pw)
    url = value(pilot, "#url")
    await pilot.press("ctrl+s")
    await pilot.pause()
    return url


async def choose(pilot: Pilot, role: str, downs: int) -> None:
    """Open the job form's `role` Select and take the option `downs` below the prompt."""
    await pilot.click(f"#{role}")
    await pilot.press("home", *["down"] * downs, "enter")
    await pilot.pause()


def test_guided_url_is_the_one_discovery_tries_first() -> None:
    """Host as a name, a URL with port and path, or an e-mail address; logins keep `@` and
    have the rest percent-encoded; Carbonio uses Zimbra's path; other presets are not guided."""
    cases = {
        ("sogo", "mail.example.org", "carol@example.org"): (
            "https://mail.example.org/SOGo/dav/carol@example.org/"
        ),
        ("zimbra", "https://mail.example.org:8443/zimbra/", "bob smith"): (
            "https://mail.example.org:8443/dav/bob%20smith/"
        ),
        ("carbonio", " carol@example.org ", "a/b"): "https://example.org/dav/a%2Fb/",
    }
    for (preset, host, login), url in cases.items():
        assert guided_url(preset, host, login) == url
        spec = AccountSpec(url=host, username=login, preset=GUIDED[preset])
        assert next(candidates(spec))[0] == url
    assert guided_url("nextcloud", "cloud.example.org", "carol") is None
    assert guided_url("sogo", "mail.example.org", " ") is None
    assert guided_url("sogo", "", "carol") is None


@pytest.mark.slow
async def test_mailcow_preset_fills_url_and_zimbra_to_sogo_job_ticks_both_options(
    app: DavtuiApp, closed: str
) -> None:
    """Issue 8's guided path end to end: two accounts from host + login, then a job between
    them whose form ticks both options and says why; the saved Job row carries them."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account_form(pilot, "mailcow", "sogo")
        await pilot.press("tab", *closed)
        assert value(pilot, "#url") == ""  # no login yet: the URL's hint shows
        await pilot.press("tab", "tab", *"carol@example.org")
        assert value(pilot, "#url") == f"https://{closed}/SOGo/dav/carol@example.org/"
        await pilot.press("ctrl+s")
        await pilot.pause()
        zimbra_url = await add_guided(pilot, "old-zimbra", "zimbra", closed, "carol@example.org")
        assert zimbra_url == f"https://{closed}/dav/carol@example.org/"
        accounts = {a.name: (a.url, a.preset) for a in Account.select()}
        assert accounts == {
            "mailcow": (f"https://{closed}/SOGo/dav/carol@example.org/", "sogo"),
            "old-zimbra": (zimbra_url, "zimbra"),
        }

        await pilot.press("2", "n", *"zimbra-to-mailcow")
        form = app.screen
        assert isinstance(form, JobForm)
        assert not value(pilot, "#suppress_invitations") and not form.query_one("#guide").display
        await choose(pilot, "source", 2)  # mailcow, old-zimbra: the source is old-zimbra
        assert not value(pilot, "#suppress_invitations")  # no destination yet
        await choose(pilot, "destination", 1)
        assert value(pilot, "#suppress_invitations") and value(pilot, "#default_collections")
        guide = form.query_one("#guide", Label)
        assert guide.display and "SOGo e-mails attendees" in str(guide.render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        job = Job.get(Job.name == "zimbra-to-mailcow")
        assert (job.source.name, job.destination.name) == ("old-zimbra", "mailcow")
        assert (job.suppress_invitations, job.default_collections, job.dry_run) == (
            True,
            True,
            False,
        )


@pytest.mark.slow
async def test_url_typed_by_hand_stays_and_editing_an_account_overwrites_nothing(
    app: DavtuiApp,
) -> None:
    """Once the URL is edited it is the user's; another preset clears only a URL the form
    wrote; an edited account shows no Host row and keeps its URL whatever the login."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account_form(pilot, "carbonio", "carbonio")
        await pilot.press("tab", *"mail.example.org", "tab", "tab", *"dave")
        assert value(pilot, "#url") == "https://mail.example.org/dav/dave/"
        await pilot.press("shift+tab", "end", "backspace", *"x/")  # the user's own path
        await pilot.press("tab", "end", *"@example.org")
        assert value(pilot, "#url") == "https://mail.example.org/dav/davex/"
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = Account.get(Account.name == "carbonio")
        assert saved.url == "https://mail.example.org/dav/davex/"
        assert saved.username == "dave@example.org"

        await open_account_form(pilot, "switch", "sogo")
        await pilot.press("tab", *"mail.example.org", "tab", "tab", *"erin")
        assert value(pilot, "#url") == "https://mail.example.org/SOGo/dav/erin/"
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "enter", "down", "enter")
        assert value(pilot, "#url") == "https://mail.example.org/dav/erin/"  # now Zimbra
        await pilot.press("enter", "down", "down", "enter")  # Nextcloud: not guided
        assert value(pilot, "#url") == "" and not app.screen.query_one("#host").display
        await pilot.press("escape")

        await pilot.press("e")
        form = app.screen
        assert isinstance(form, AccountForm) and form.account.name == "carbonio"
        assert not form.query_one("#host").display
        await pilot.press("tab", "tab", "tab", "ctrl+u", *"frank")
        assert value(pilot, "#url") == "https://mail.example.org/dav/davex/"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert Account.get(Account.name == "carbonio").username == "frank"
    assert Account.get(Account.name == "carbonio").url == "https://mail.example.org/dav/davex/"


@pytest.mark.slow
async def test_route_change_unticks_only_what_it_ticked_and_editing_keeps_saved_choices(
    app: DavtuiApp, closed: str
) -> None:
    """A SOGo destination ticks "suppress invitations"; moving to Radicale unticks it again,
    unless the user ticked it; an edited job opens with its saved choice untouched."""
    async with app.run_test(size=(80, 24)) as pilot:
        await add_guided(pilot, "mailcow", "sogo", closed, "carol@example.org")
        await open_account_form(pilot, "radicale", "radicale")
        await pilot.press("tab", *f"http://{closed}/", "tab", *"carol", "ctrl+s")
        await pilot.pause()

        await pilot.press("2", "n", *"to-radicale")
        await choose(pilot, "destination", 1)  # mailcow, radicale
        assert value(pilot, "#suppress_invitations") and not value(pilot, "#default_collections")
        assert str(app.screen.query_one("#guide", Label).render()) == SOGO_HINT
        await choose(pilot, "destination", 2)
        assert not value(pilot, "#suppress_invitations")
        assert not app.screen.query_one("#guide").display
        await pilot.click("#suppress_invitations")  # the user's own tick
        await choose(pilot, "destination", 1)
        await choose(pilot, "destination", 2)
        assert value(pilot, "#suppress_invitations")
        await pilot.click("#suppress_invitations")
        await choose(pilot, "source", 1)  # from mailcow to radicale
        await pilot.press("ctrl+s")
        await pilot.pause()

        job = Job.get(Job.name == "to-radicale")
        job.destination = Account.get(Account.name == "mailcow")
        job.source = Account.get(Account.name == "radicale")
        job.save()  # a SOGo destination whose job says: send the invitations
        await pilot.press("e")
        assert isinstance(app.screen, JobForm)
        await pilot.pause()
        assert not value(pilot, "#suppress_invitations")
        assert app.screen.query_one("#guide").display  # the hint still says why it matters
        await pilot.press("escape")


async def test_guided_url_logs_in_to_the_real_sogo(app: DavtuiApp, sogo: Sogo) -> None:
    """The URL built for a login with `@` is one SOGo (behind mailcow's nginx) accepts."""
    host = sogo.url.split("/SOGo/")[0]
    login = "carol@example.org"
    async with app.run_test(size=(80, 24)) as pilot:
        url = await add_guided(pilot, "mailcow", "sogo", host, login, sogo.users[login])
        assert url == f"{host}/SOGo/dav/carol@example.org/"
        await pilot.press("t")
        account = Account.get(Account.name == "mailcow")
        await until(pilot, lambda: Account.get_by_id(account.id).last_test_at is not None)
        tested = Account.get_by_id(account.id)
        assert tested.last_test_ok, tested.last_test_message
        found = tested.capabilities
        assert (found["principal"] + "/", found["server"]) == (url, "sogo")
        assert found["calendar_home"].startswith(url) and found["addressbook_home"].startswith(url)
