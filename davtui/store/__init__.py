"""Persistent state: Peewee models over SQLite, and the Fernet vault for secrets."""

from davtui.store.db import StoreError, close_database, open_database
from davtui.store.secrets import SecretKeyError, Vault, rotate_key

__all__ = [
    "SecretKeyError",
    "StoreError",
    "Vault",
    "close_database",
    "open_database",
    "rotate_key",
]
