"""The `goodwill` command."""
import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from engine.settings import Settings

EXAMPLES = Path(__file__).resolve().parent.parent / "integrations" / "generic" / "fixtures"


def main(argv=None) -> int:
    """Parse the command line and run one command; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter is not news
    from sqlalchemy.exc import OperationalError

    from engine.migrate import DatabaseBehind
    try:
        return args.func(args) or 0
    except DatabaseBehind as exc:
        print(f"goodwill: {exc}", file=sys.stderr)
    except OperationalError as exc:
        print(f"goodwill: the database does not answer ({exc.orig}); check GOODWILL_DATABASE_URL",
              file=sys.stderr)
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="goodwill", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="receiver plus embedded workers")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="a worker process alone")
    p.add_argument("--concurrency", type=int, default=1)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("db", help="database maintenance")
    db_sub = p.add_subparsers(required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply the shipped migrations to GOODWILL_DATABASE_URL"
                      ).set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("desk", help="the shipped Zendesk-compatible stand-in alone")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.set_defaults(func=cmd_desk)

    for name, func, text in (("validate", cmd_validate, "check policies"),
                             ("test", cmd_test, "run the policy tests beside the policies")):
        p = sub.add_parser(name, help=text)
        p.add_argument("path", nargs="?", type=Path)
        p.set_defaults(func=func)

    p = sub.add_parser("simulate", help="what would happen to an event, with no side effect")
    p.add_argument("event", type=Path)
    p.add_argument("--explain", action="store_true")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("reference", help="print the policy reference (docs/policies.md)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when docs/policies.md differs from what would be printed")
    p.set_defaults(func=cmd_reference)

    p = sub.add_parser("send", help="send events (default: the shipped examples), signed")
    p.add_argument("events", nargs="*", type=Path)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("replay", help="replay a twitter-care corpus, first tweets twice")
    p.add_argument("corpus", type=Path)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--limit", type=int)
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("outbox", help="outbox maintenance")
    outbox_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = outbox_sub.add_parser("retry", help="re-queue dead actions (one with --action, all with --dead)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--action", metavar="ID")
    which.add_argument("--dead", action="store_true")
    p.set_defaults(func=cmd_outbox_retry)

    p = sub.add_parser("events", help="inbox maintenance")
    events_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = events_sub.add_parser("retry", help="re-queue failed events (one with --event, all with "
                              "--failed)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--event", metavar="ID")
    which.add_argument("--failed", action="store_true")
    p.set_defaults(func=cmd_events_retry)

    p = sub.add_parser("report", help="the admin page's KPIs as CSV or JSON, for a spreadsheet")
    p.add_argument("--since", default="30d", help="the period: 24h, 7d, 30d, 12w (default 30d)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", dest="output_format")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("backtest", help="what changed policies would have decided on the events "
                       "processed lately, against what was decided; no side effect")
    p.add_argument("path", nargs="?", type=Path)
    p.add_argument("--since", default="30d",
                   help="events processed within this period: 90m, 12h, 30d (default 30d)")
    p.add_argument("--format", choices=("text", "json"), default="text", dest="output_format")
    p.set_defaults(func=cmd_backtest)
    return parser


def cmd_serve(args) -> int:
    from werkzeug.serving import make_server

    from engine.runtime import Runtime
    from webhook_server import create_app

    settings = Settings.from_env()
    desk = None
    if not settings.zendesk_url:
        from integrations.zendesk.desk import serve_desk_in_thread
        settings.zendesk_url, desk = serve_desk_in_thread(args.host, 8001 if args.port != 8001 else 0)
        print(f"ZENDESK_URL is unset: the shipped Zendesk stand-in runs at {settings.zendesk_url} "
              f"(tickets at {settings.zendesk_url}/)", flush=True)
    runtime = Runtime(settings)
    runtime.start_workers(args.workers)
    server = make_server(args.host, args.port, create_app(runtime=runtime), threaded=True)
    url = f"http://{args.host}:{server.server_port}"
    print(f"Goodwill listens on {url}: POST signed SocialEvents to {url}/webhooks/events "
          f"(try: goodwill send --url {url}); {args.workers} worker(s); "
          f"database {settings.database_url}; policies {settings.policies}", flush=True)
    _serve_until_signal(server)
    runtime.stop()
    if desk is not None:
        desk.shutdown()
    return 0


def _serve_until_signal(server) -> None:
    """Serve until SIGINT or SIGTERM, then let in-flight requests finish."""
    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()


def cmd_worker(args) -> int:
    from engine.runtime import Runtime

    runtime = Runtime(Settings.from_env())
    runtime.start_workers(args.concurrency)
    print(f"goodwill worker: {args.concurrency} thread(s) on {runtime.settings.database_url}",
          flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    runtime.stop()
    return 0


def cmd_db_upgrade(args) -> int:
    from sqlalchemy import create_engine

    from engine import migrate

    url = Settings.from_env().database_url
    engine = create_engine(url)
    migrate.upgrade(engine)
    print(f"{engine.url.render_as_string(hide_password=True)} is at migration "
          f"{migrate.current_revision(engine)}")
    return 0


def cmd_desk(args) -> int:
    from integrations.zendesk.desk import run_desk

    print(f"Zendesk stand-in at http://{args.host}:{args.port}/ (API under /api/v2)", flush=True)
    run_desk(args.host, args.port)
    return 0


def cmd_validate(args) -> int:
    from engine.policy import validate_folder
    from engine.signals import validate_lexicons

    settings = Settings.from_env()
    folder = args.path or settings.policies
    errors = [*validate_folder(folder), *validate_lexicons(settings.lexicons)]
    for error in errors:
        print(error)
    if errors:
        print(f"{len(errors)} error(s) in {folder} and the lexicons", file=sys.stderr)
        return 1
    print(f"{folder}: policies are valid; lexicons are valid")
    return 0


def cmd_test(args) -> int:
    from engine.policy import run_policy_tests

    report = run_policy_tests(args.path or Settings.from_env().policies)
    print(report.render())
    return 0 if report.passed else 1


def cmd_simulate(args) -> int:
    from engine.simulate import simulate

    event = json.loads(args.event.read_text())
    print(simulate(Settings.from_env(), event, explain_rules=args.explain))
    return 0


def cmd_reference(args) -> int:
    from engine.policy.reference import DOCS_PATH, generate

    text = generate()
    if not args.check:
        sys.stdout.write(text)
        return 0
    docs = Path(DOCS_PATH)
    if not docs.is_file() or docs.read_text(encoding="utf-8") != text:
        print(f"{DOCS_PATH} is out of date; run goodwill reference > {DOCS_PATH}", file=sys.stderr)
        return 1
    print(f"{DOCS_PATH} is up to date")
    return 0


def cmd_send(args) -> int:
    from engine.sender import send_event

    secret = _webhook_secret()
    files = args.events or sorted(EXAMPLES.glob("*.json"))
    for path in files:
        answer = send_event(args.url, secret, json.loads(Path(path).read_text()))
        print(f"{Path(path).name}: {answer}")
    return 0


def cmd_replay(args) -> int:
    from engine.replay import deliveries
    from engine.sender import send_event

    import requests
    secret, counts = _webhook_secret(), {}
    with requests.Session() as http:
        for event in deliveries(args.corpus, args.limit):
            status = send_event(args.url, secret, event, session=http).get("status", "error")
            counts[status] = counts.get(status, 0) + 1
    print(json.dumps(counts))
    return 0


def cmd_report(args) -> int:
    from engine.report import report

    try:
        print(report(Settings.from_env(), args.since, args.output_format))
    except ValueError as exc:
        print(f"goodwill report: --since: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_backtest(args) -> int:
    from engine.backtest import backtest, parse_since
    from engine.policy import PolicyErrors, load_policy_set

    settings = Settings.from_env()
    folder = args.path or settings.policies
    try:
        parse_since(args.since)
    except ValueError as exc:
        print(f"goodwill backtest: --since: {exc}", file=sys.stderr)
        return 2
    try:
        policy_set = load_policy_set(folder)
    except PolicyErrors as exc:
        for error in exc.errors:
            print(error)
        print(f"{len(exc.errors)} error(s) in {folder}: nothing replayed", file=sys.stderr)
        return 1
    result = backtest(settings.database_url, policy_set, args.since)
    print(result.to_json() if args.output_format == "json" else result.render())
    return 0


def cmd_outbox_retry(args) -> int:
    from engine.db import make_sessionmaker
    from engine.redeliver import describe, retry_dead

    make_session = make_sessionmaker(Settings.from_env().database_url)
    requeued = retry_dead(make_session, args.action)
    if args.action and not requeued:
        status = describe(make_session, args.action)
        print(f"goodwill outbox retry: no action {args.action}" if status is None else
              f"action {args.action} is {status}, not dead: nothing to retry", file=sys.stderr)
        return 1 if status is None else 0
    print(f"re-queued {len(requeued)} dead action(s)" + "".join(f"\n  {i}" for i in requeued))
    return 0


def cmd_events_retry(args) -> int:
    from engine.db import InboxEvent, make_sessionmaker
    from engine.redeliver import retry_failed_events

    make_session = make_sessionmaker(Settings.from_env().database_url)
    requeued = retry_failed_events(make_session, args.event)
    if args.event and not requeued:
        with make_session() as session:
            row = session.get(InboxEvent, args.event)
        print(f"goodwill events retry: no event {args.event}" if row is None else
              f"event {args.event} is {row.status}, not failed: nothing to retry", file=sys.stderr)
        return 1 if row is None else 0
    print(f"re-queued {len(requeued)} failed event(s)" + "".join(f"\n  {i}" for i in requeued))
    return 0


def _webhook_secret() -> str:
    secret = Settings.from_env().webhook_secret
    if not secret:
        sys.exit("set GOODWILL_WEBHOOK_SECRET (the receiver's secret) to sign events")
    return secret


if __name__ == "__main__":
    sys.exit(main())
