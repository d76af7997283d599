"""The `fengqiao` command: serve, chat, classify, demo, db."""

from __future__ import annotations

import argparse
import gc
import os
import sys

from fengqiao.policy import ROLES

# Set by a command whose process may end without the interpreter's teardown (`__main__`).
QUICK_EXIT = [False]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fengqiao", description="枫桥 — 综治中心矛盾纠纷多元化解平台"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--workers", type=int, default=1)

    p = sub.add_parser("chat", help="talk to the intake dialog from a terminal")
    p.add_argument("--openid", default="cli-user")
    p.add_argument("--jsonl", action="store_true", help="one message per stdin line, JSON out")

    p = sub.add_parser("classify", help="classify dispute text")
    p.add_argument("text", nargs="?")
    p.add_argument("--jsonl", action="store_true")

    p = sub.add_parser("demo", help="fill the database with a demo centre")
    p.add_argument("--json", action="store_true")
    # The links it prints carry the address `serve` will listen on: give it the same.
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)

    p = sub.add_parser("users", help="console accounts")
    usub = p.add_subparsers(dest="users_command", required=True)
    u = usub.add_parser("add", help="create a console account")
    u.add_argument("name")
    u.add_argument("--role", required=True, choices=list(ROLES))
    u.add_argument("--password", help="prompted for when not given")
    u.add_argument("--display-name")
    u.add_argument("--organisation")
    u.add_argument("--phone", help="where a one-time code goes when signing or sealing")
    for name, what in (("disable", "disable an account: no sign-in, its sessions end"),
                       ("enable", "enable a disabled account again")):
        u = usub.add_parser(name, help=what)
        u.add_argument("name")
    u = usub.add_parser("reset-password", help="set a new password; the account's sessions end")
    u.add_argument("name")
    u.add_argument("--password", help="prompted for when not given")

    p = sub.add_parser("backup", help="back up the database and the file store to one file")
    p.add_argument("--output", help="archive to write (default: <data dir>/backups/...)")

    p = sub.add_parser("restore", help="restore a backup into an empty database and file store")
    p.add_argument("file")

    p = sub.add_parser("booking", help="mediator registry")
    bsub = p.add_subparsers(dest="booking_command", required=True)
    b = bsub.add_parser("import", help="import organisations or mediators from a UTF-8 CSV")
    b.add_argument("kind", choices=["organisations", "mediators"])
    b.add_argument("file")

    p = sub.add_parser("db", help="database maintenance")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help="run migrations")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from fengqiao.serve import serve

        return serve(args.host, args.port, args.workers)
    if args.command == "db":
        from fengqiao.settings import Settings
        from fengqiao.storage.migrate import upgrade

        settings = Settings.from_env()
        upgrade(settings.effective_database_url)
        print("database is up to date")
        return 0
    if args.command == "users":
        from fengqiao import accounts

        if args.users_command in ("disable", "enable"):
            return accounts.set_active_command(args.name, args.users_command == "enable")
        if args.users_command == "reset-password":
            return accounts.reset_password_command(args.name, args.password)
        return accounts.add_user_command(
            args.name, args.role, args.password, args.display_name, args.organisation, args.phone
        )
    if args.command == "booking":
        from fengqiao.booking.cli import import_command

        return import_command(args.kind, args.file, sys.stdout)
    if args.command == "chat":
        from fengqiao.dialogs.terminal import run_chat

        return run_chat(args.openid, args.jsonl, sys.stdin, sys.stdout)
    if args.command == "classify":
        # The imports make objects that live as long as the process, none of them garbage:
        # the collector is off while they are made (run_classify does the same for the load).
        gc.disable()
        try:
            from fengqiao.nlp.cli_classify import run_classify
            from fengqiao.settings import Settings
        finally:
            gc.enable()
        settings = Settings.from_env()
        QUICK_EXIT[0] = True
        return run_classify(
            args.text, args.jsonl, sys.stdin, sys.stdout, settings.data_dir, settings.config_dir
        )
    if args.command == "backup":
        from fengqiao.backup import backup_command

        return backup_command(args.output)
    if args.command == "restore":
        from fengqiao.backup import restore_command

        return restore_command(args.file)
    if args.command == "demo":
        from fengqiao.demo import run_demo
        from fengqiao.serve import default_public_url

        os.environ.setdefault("FENGQIAO_PUBLIC_URL", default_public_url(args.host, args.port))
        return run_demo(as_json=args.json)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
