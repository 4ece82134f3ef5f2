"""Testing an account: discover its server and record what was found (or the one-sentence
error) on the account row. The TUI's "Test connection" and `davtui account test` share it."""

from __future__ import annotations

from urllib.parse import urlsplit

from davtui.engine.dav.discovery import Discovery, as_json, discover
from davtui.engine.errors import EngineError
from davtui.engine.jobs.run import spec_of
from davtui.store.db import StoreError
from davtui.store.models import Account, utcnow
from davtui.store.secrets import Vault


def describe(found: Discovery) -> str:
    """One line of what discovery found: server, principal, homes and capabilities."""
    homes = [
        name
        for home, name in (
            (found.calendar_home, "calendars"),
            (found.addressbook_home, "address books"),
        )
        if home
    ]
    flags = (
        (found.supports_sync, "sync"),
        (found.mkcalendar, "MKCALENDAR"),
        (found.extended_mkcol, "extended MKCOL"),
    )
    can = [name for flag, name in flags if flag]
    return (
        f"{found.server or 'DAV server'} (found by {found.found_by}), principal "
        f"{urlsplit(found.principal).path}, {' and '.join(homes) or 'no homes'}; "
        f"supports {', '.join(can) or 'no extras'}."
    )


def test_account(account_id: int) -> tuple[Discovery | None, EngineError | StoreError | None]:
    """Discover the account's server; record the outcome and return (discovery, error)."""
    account = Account.get_by_id(account_id)
    discovery, error = None, None
    try:
        vault = Vault.open() if account.secret else None
        spec = spec_of(account, vault)
        discovery = discover(spec)
    except (EngineError, StoreError) as exc:
        error = exc
    account.last_test_at = utcnow()
    account.last_test_ok = error is None
    account.last_test_message = describe(discovery) if discovery is not None else str(error)
    if discovery is not None:
        account.capabilities = as_json(discovery, spec)  # the next run skips discovering
    account.save()
    return discovery, error
