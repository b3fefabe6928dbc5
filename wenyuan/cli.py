"""The ``wenyuan`` console command.

wenyuan serve [--host H] [--port P] [--demo]   the site plus an embedded worker
wenyuan worker                                 a processing worker alone
wenyuan user create NAME --password P [--staff]
wenyuan reindex [--if-needed]                  rebuild the search index
wenyuan demo                                   create the demo library now
wenyuan manage ARGS…                           any Django management command
"""

from __future__ import annotations

import argparse
import os
import sys
import threading


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenyuan.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("createcachetable", verbosity=0)


def _progress(label: str):
    def report(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        sys.stdout.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stdout.flush()
        if done >= total:
            sys.stdout.write("\n")

    return report


def cmd_serve(args) -> int:
    _migrate()
    if args.demo:
        from wenyuan.demo.seed import demo_seed_if_empty

        demo_seed_if_empty(out=print)
    from waitress.server import create_server

    from wenyuan.wsgi import application

    server = create_server(application, host=args.host, port=args.port, threads=8)
    print(f"Wenyuan is serving at http://{args.host}:{args.port}/  (Ctrl+C stops it)", flush=True)
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    if args.no_worker:
        try:
            thread.join()
        except KeyboardInterrupt:
            pass
        return 0
    from wenyuan.conversion.worker import worker_run

    worker_run(embedded=True)
    server.close()
    return 0


def cmd_worker(args) -> int:
    from wenyuan.conversion.worker import worker_run

    worker_run(embedded=False)
    return 0


def cmd_user(args) -> int:
    from django.core.exceptions import ValidationError

    from wenyuan.accounts.services import user_create

    try:
        user = user_create(username=args.name, password=args.password, staff=args.staff)
    except ValidationError as exc:
        print("error: " + " ".join(exc.messages), file=sys.stderr)
        return 2
    print(f"created {'staff ' if user.is_staff else ''}user {user.username} (id {user.pk})")
    return 0


def cmd_reindex(args) -> int:
    from wenyuan.search.services import search_rebuild

    total = search_rebuild(progress=_progress("reindex"), if_needed=args.if_needed)
    print(f"indexed {total} documents")
    return 0


def cmd_reprocess(args) -> int:
    from wenyuan.conversion.services import document_retry
    from wenyuan.library.models import Document

    documents = Document.objects.all()
    if args.ids:
        documents = documents.filter(pk__in=args.ids)
    elif args.status:
        documents = documents.filter(status=args.status)
    else:
        print("error: name document IDs or --status", file=sys.stderr)
        return 2
    count = 0
    for document in documents.iterator():
        document_retry(document=document)
        count += 1
    print(f"queued {count} documents for processing")
    return 0


def cmd_demo(args) -> int:
    _migrate()
    from wenyuan.demo.seed import demo_seed

    demo_seed(out=print)
    return 0


def cmd_manage(args) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["wenyuan manage", *args.args])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wenyuan", description="Wenyuan (文渊) document library")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the site with an embedded worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo", action="store_true", help="create a staff account and demo library when empty"
    )
    serve.add_argument(
        "--no-worker", action="store_true", help="serve pages only; run `wenyuan worker` apart"
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a processing worker")
    worker.set_defaults(func=cmd_worker)

    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser("create", help="create a user")
    create.add_argument("name")
    create.add_argument("--password", required=True)
    create.add_argument("--staff", action="store_true")
    create.set_defaults(func=cmd_user)

    reindex = sub.add_parser("reindex", help="rebuild the search index from the database")
    reindex.add_argument(
        "--if-needed", action="store_true", help="only when the index is missing or outdated"
    )
    reindex.set_defaults(func=cmd_reindex)

    reprocess = sub.add_parser("reprocess", help="run processing again for some documents")
    reprocess.add_argument("ids", nargs="*", type=int, help="document IDs")
    reprocess.add_argument("--status", choices=["failed", "published", "processing", "rejected"])
    reprocess.set_defaults(func=cmd_reprocess)

    demo = sub.add_parser("demo", help="add the demo library")
    demo.set_defaults(func=cmd_demo)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from wenyuan.config import ConfigError

    try:
        _setup()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
