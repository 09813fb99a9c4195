"""Signed events per second through gunicorn into the database, against a bare 202 app.

Both apps run under the same gunicorn settings in the same run, loaded by the same client;
the ratio is the figure. Then p99 latency at half of Goodwill's peak rate.

    python bench/ingest.py [--events N] [--clients C]   (PostgreSQL when
    GOODWILL_TEST_POSTGRES_URL names a server, else SQLite)
"""
import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from common import SECRET, CORPUS, fresh_database, goodwill_env, start_gunicorn, upgrade
from engine.replay import deliveries
from engine.sender import signed_headers

BARE_APP = "bench.bare:app"


def load(url: str, bodies: list[str], clients: int, pace: float | None = None) -> list[float]:
    """Post every body once, signed, from `clients` threads; return each request's latency."""
    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [bodies[i::clients] for i in range(clients)]
    interval = clients / pace if pace else 0.0

    def client(chunk):
        http, mine = requests.Session(), []
        for body in chunk:
            start = time.perf_counter()
            response = http.post(f"{url}/webhooks/events", data=body.encode(),
                                 headers=signed_headers(SECRET, body))
            elapsed = time.perf_counter() - start
            if response.status_code != 202:
                raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
            mine.append(elapsed)
            if interval > elapsed:
                time.sleep(interval - elapsed)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def rate(url: str, bodies: list[str], clients: int) -> float:
    start = time.perf_counter()
    load(url, bodies, clients)
    return len(bodies) / (time.perf_counter() - start)


def main() -> None:
    import json
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    events = [e for e in deliveries(CORPUS)]
    bodies = [json.dumps({**events[i % len(events)], "id": f"bench-{i}"}) for i in range(args.events)]
    with tempfile.TemporaryDirectory() as folder:
        database = fresh_database(os.environ.get("GOODWILL_TEST_POSTGRES_URL"), Path(folder))
        env = goodwill_env(database)
        upgrade(env)
        bare, bare_url = start_gunicorn(BARE_APP, env)
        goodwill, url = start_gunicorn("webhook_server:create_app()", env)
        try:
            bare_rate = rate(bare_url, bodies, args.clients)
            peak = rate(url, bodies, args.clients)
            paced = [json.dumps({**json.loads(b), "id": "paced-" + json.loads(b)["id"]})
                     for b in bodies]
            latencies = sorted(load(url, paced, args.clients, pace=peak / 2))
        finally:
            bare.terminate()
            goodwill.terminate()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"database: {database.split('://')[0]}; {args.events} events, {args.clients} clients")
    print(f"bare 202 app (baseline): {bare_rate:8.0f} events/s   1.00x")
    print(f"goodwill receiver:       {peak:8.0f} events/s   {peak / bare_rate:.2f}x  (goal >= 0.5x)")
    print(f"at half the peak ({peak / 2:.0f}/s): p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {p99:.1f} ms  (goal <= 20 ms)")


if __name__ == "__main__":
    main()
