"""`davtui key rotate`: re-encrypt every saved secret with a new key."""

from __future__ import annotations

from davtui.cli.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    key = sub.add_parser("key", help="manage the encryption key of saved passwords")
    actions = key.add_subparsers(dest="action", metavar="ACTION", required=True)
    rotate = actions.add_parser("rotate", help="re-encrypt every secret with a new key")
    rotate.set_defaults(handler=_rotate)
    check = actions.add_parser("check", help="say which key is used and whether it fits")
    check.set_defaults(handler=_check)


def _check(ctx) -> int:
    vault = ctx.vault()
    print(f"The key from {vault.origin} opens this database.")
    return 0


def _rotate(ctx) -> int:
    from davtui.paths import key_file
    from davtui.store import rotate_key
    from davtui.store.models import Account

    new_key = rotate_key()
    count = Account.select().where(Account.secret.is_null(False)).count()
    if new_key is not None:
        print("DAVTUI_KEY is set, so the new key is shown once; store it and set DAVTUI_KEY:")
        print(new_key)
    else:
        print(f"Re-encrypted {count} password(s) with a new key in {key_file()}.")
    return 0
