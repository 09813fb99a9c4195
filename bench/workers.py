"""End-to-end events per second (inbox to done actions) with 1, 2 and 4 worker processes.

N `goodwill worker` processes are started and given time to load; then the inbox is fed
(replayed twitter-care conversations) and they drain it against the Zendesk stand-in with no
rate limit. One worker is the
baseline measured in the same run; the scaling ratio is the figure.

    python bench/workers.py [--conversations N] [--workers 1,2,4]   (PostgreSQL when
    GOODWILL_TEST_POSTGRES_URL names a server, else SQLite)
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select

from common import CORPUS, fresh_database, goodwill_env, upgrade
from engine.db import Action, InboxEvent, make_sessionmaker
from engine.inbox import accept
from engine.replay import deliveries
from engine.schema import load_event
from integrations.zendesk.desk import create_desk_app, serve_desk_in_thread


STARTUP_SECONDS = 5


def remaining(engine) -> int:
    with engine.connect() as conn:
        events = conn.scalar(select(func.count()).select_from(InboxEvent)
                             .where(InboxEvent.status == "received"))
        actions = conn.scalar(select(func.count()).select_from(Action)
                              .where(Action.status.in_(("pending", "retrying", "running"))))
    return events + actions


def drain(workers: int, conversations: int, folder: Path) -> tuple[float, int]:
    """Start `workers` processes, feed the inbox, and time them until nothing is left to do."""
    database = fresh_database(os.environ.get("GOODWILL_TEST_POSTGRES_URL"), folder)
    desk_url, desk = serve_desk_in_thread(app=create_desk_app(rate_limit=10**9))
    env = goodwill_env(database, ZENDESK_URL=desk_url, ZENDESK_EMAIL="bench@example.com",
                       ZENDESK_TOKEN="bench")
    upgrade(env)
    processes = [subprocess.Popen([sys.executable, "-m", "engine.cli", "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
    time.sleep(STARTUP_SECONDS)  # imports and policy loading are not what is measured
    make_session = make_sessionmaker(database)
    engine = create_engine(database)
    start = time.perf_counter()
    accepted = sum(accept(make_session, "events", load_event(e))[1] == "accepted"
                   for e in deliveries(CORPUS, conversations))
    try:
        while remaining(engine):
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=60)
        desk.shutdown()
        engine.dispose()
    return accepted / elapsed, accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=150)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        results = {n: drain(n, args.conversations, Path(folder)) for n in counts}
    base = results[counts[0]][0]
    print(f"{results[counts[0]][1]} events per run (each conversation's first tweet sent twice)")
    for n, (rate, _) in results.items():
        print(f"{n} worker process(es): {rate:7.1f} events/s   {rate / base:.2f}x")


if __name__ == "__main__":
    main()
