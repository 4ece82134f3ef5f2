"""Account passwords, stored only as Fernet ciphertext.

The key is `DAVTUI_KEY` (the key itself), else the file `DAVTUI_KEY_FILE`, else `key` in the user
data directory, generated on first use with mode 0600. A `key_check` token in the settings table
tells a wrong key apart from a damaged secret, so the user gets one sentence, not a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from davtui.paths import create_private, key_file
from davtui.store.db import StoreError
from davtui.store.models import Account, Setting, database

KEY_CHECK = "key_check"
_CHECK_TEXT = b"davtui"


class SecretKeyError(StoreError):
    """The key is missing, malformed or not the one the database was written with."""


def _fernet(key: bytes, origin: str) -> Fernet:
    try:
        return Fernet(key.strip())
    except (ValueError, TypeError):
        raise SecretKeyError(
            f"{origin} does not hold a valid Fernet key (44 URL-safe base64 characters)."
        ) from None


def _write_key(path: Path, key: bytes) -> None:
    """Write a key file atomically with mode 0600."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    create_private(tmp)
    with open(tmp, "wb") as fh:
        fh.write(key + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _pending_path(path: Path) -> Path:
    return path.with_name(path.name + ".new")


class Vault:
    """Encrypts and decrypts account secrets with the database's key."""

    def __init__(self, fernet: Fernet, origin: str) -> None:
        self._fernet = fernet
        self.origin = origin

    @classmethod
    def open(cls) -> Vault:
        """The vault for the open database; creates the key file on first use."""
        env_key = os.environ.get("DAVTUI_KEY")
        check = Setting.get_or_none(Setting.key == KEY_CHECK)
        if env_key:
            vault = cls(_fernet(env_key.encode(), "DAVTUI_KEY"), "DAVTUI_KEY")
        else:
            path = key_file()
            vault = cls._from_file(path, check is not None)
        if check is None:
            Setting.create(key=KEY_CHECK, value=vault.encrypt(_CHECK_TEXT.decode()))
        elif not vault._matches(check.value):
            raise SecretKeyError(
                f"The key from {vault.origin} does not match this database: set DAVTUI_KEY or "
                "DAVTUI_KEY_FILE to the key its passwords were saved with."
            )
        return vault

    @classmethod
    def _from_file(cls, path: Path, needed: bool) -> Vault:
        pending = _pending_path(path)
        if pending.exists():
            # A rotation was interrupted: the database decides which key is current.
            candidate = cls(_fernet(pending.read_bytes(), str(pending)), str(path))
            check = Setting.get_or_none(Setting.key == KEY_CHECK)
            if check is not None and candidate._matches(check.value):
                os.replace(pending, path)
                return candidate
            pending.unlink()
        if path.exists():
            return cls(_fernet(path.read_bytes(), str(path)), str(path))
        if needed:
            raise SecretKeyError(
                f"The key file {path} is missing, so saved passwords cannot be read: restore it "
                "or set DAVTUI_KEY or DAVTUI_KEY_FILE."
            )
        _write_key(path, Fernet.generate_key())
        return cls(_fernet(path.read_bytes(), str(path)), str(path))

    def _matches(self, token: str) -> bool:
        try:
            return self._fernet.decrypt(token.encode()) == _CHECK_TEXT
        except InvalidToken:
            return False

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str, account_name: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                f"The password of account '{account_name}' cannot be decrypted with the key from "
                f"{self.origin}: re-enter it with `davtui account edit {account_name}`."
            ) from None

    def password(self, account: Account) -> str:
        """The clear password of `account` ('' when it has none)."""
        return self.decrypt(account.secret, account.name) if account.secret else ""


def rotate_key() -> str | None:
    """Re-encrypt every secret with a new key; return the new key when it lives in DAVTUI_KEY.

    The new key is written to `key.new` before the database commits and renamed over `key`
    after, so a crash at any point leaves one key that opens every secret.
    """
    old = Vault.open()
    new_key = Fernet.generate_key()
    rotator = MultiFernet([Fernet(new_key), old._fernet])
    from_env = bool(os.environ.get("DAVTUI_KEY"))
    path = key_file()
    if not from_env:
        _write_key(_pending_path(path), new_key)
    with database.atomic():
        for account in Account.select().where(Account.secret.is_null(False)):
            assert account.secret is not None  # what the query selects
            account.secret = rotator.rotate(account.secret.encode()).decode()
            account.save()
        check = Setting.get(Setting.key == KEY_CHECK)
        check.value = rotator.rotate(check.value.encode()).decode()
        check.save()
    if from_env:
        return new_key.decode()
    os.replace(_pending_path(path), path)
    return None
