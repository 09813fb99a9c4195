"""A burst: 10,000 complaints at once against a Zendesk that allows 700 requests a minute.

The complaints arrive signed, through the receiver (gunicorn), into the inbox; `goodwill worker`
processes decide them with the shipped policies and drain the outbox into the shipped Zendesk
stand-in, limited to 700 requests a minute. The bench prints the fewest requests the design
needs for the tickets and the least time the limit allows for them (the bound), the measured
time until every ticket exists and until every action is done, their ratio to the bound
(target at most 1.05), and duplicate and missing tickets (must be 0 and 0). A second run fails
10% of the requests with 429 (Retry-After 1 s) or 503, half each; its bound adds the seconds
the 429s forbade sending. Deciding the complaints is timed too: the desk's clock starts at the
outbox's first request, and the time from the first complaint is printed beside it.

    python bench/burst.py [--complaints 10000] [--rate 700] [--workers 2] [--threads 4]
    (PostgreSQL when GOODWILL_TEST_POSTGRES_URL names a server, else SQLite)
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select

from common import fresh_database, goodwill_env, start_gunicorn, upgrade
from engine.db import Action, InboxEvent
from ingest import load
from integrations.zendesk.desk import create_desk_app, serve_desk_in_thread

# Per batch of 100 new tickets: users/create_or_update_many and its poll, tickets/create_many
# and its poll, tickets/update_many (the internal notes) and its poll.
REQUESTS_PER_BATCH = 6
BATCH = 100
# Looking up the shipped policy's group ("Social care") once.
NAME_LOOKUPS = 1
PROBLEMS = ("My order #{n} arrived broken and nobody answers my emails. I want a refund",
            "Still waiting for order {n}, three weeks now. This is ridiculous",
            "Charged twice for order {n} and the app keeps crashing. Sort it out",
            "Your driver left parcel {n} in the rain, everything is soaked. Not happy")


def complaints(count: int) -> list[str]:
    """Return `count` signed-ready complaint bodies, each its own author and conversation."""
    return [json.dumps({"id": f"burst-{n}", "platform": "twitter", "kind": "mention", "brand": "BeanThere",
                        "occurred_at": "2026-11-30T10:00:00Z", "thread": f"burst-{n}",
                        "text": "@BeanThere " + PROBLEMS[n % len(PROBLEMS)].format(n=n),
                        "url": f"https://twitter.com/fan{n}/status/{n}",
                        "author": {"id": f"fan-{n}", "handle": f"fan{n}", "name": f"Fan {n}"}})
            for n in range(count)]


def waiting_events(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "received"))


def unfinished_actions(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Action)
                           .where(Action.status.in_(("pending", "retrying", "running"))))


def tickets_made(desk) -> Counter:
    with desk.lock:
        return Counter(t["external_id"] for t in desk.tickets.tickets.values() if t["type"] != "problem")


def forbidden_seconds(log) -> float:
    """Return how long, in all, the desk's 429 answers forbade sending (their Retry-After, overlaps once)."""
    spans = sorted((r["at"], r["at"] + float(r["retry_after"])) for r in log if r["status"] == 429)
    total, reach = 0.0, float("-inf")
    for start, end in spans:
        total += max(0.0, end - max(start, reach))
        reach = max(reach, end)
    return total


class CpuMeter:
    """Sample, twice a second, the CPU seconds used so far by the workers, this process and the machine.

    This process serves the stand-in (and sends the complaints); the machine's figure shows how
    much of its CPU went to everything else, other people's work included.
    """

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pids: list[int]):
        self.pids, self.samples, self._stop = pids, [], threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._stop.wait(0.5):
            workers = 0.0
            for pid in self.pids:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                workers += (int(fields[11]) + int(fields[12])) / self.TICK
            with open("/proc/stat") as stat:
                ticks = [int(value) for value in stat.readline().split()[1:]]
            busy = (sum(ticks) - ticks[3] - ticks[4]) / self.TICK
            self.samples.append((time.time(), workers, time.process_time(), busy))

    def stop(self):
        self._stop.set()
        self._thread.join()

    def between(self, start: float, end: float) -> tuple[float, float, float]:
        """Return the CPU seconds the workers, this process and the machine used from start to end."""
        first = min(self.samples, key=lambda sample: abs(sample[0] - start))
        last = min(self.samples, key=lambda sample: abs(sample[0] - end))
        return tuple(b - a for a, b in zip(first[1:], last[1:]))


def burst(args, folder: Path, failing: float) -> dict:
    """Run one burst; return its measured figures."""
    database = fresh_database(os.environ.get("GOODWILL_TEST_POSTGRES_URL"), folder)
    desk_url, server = serve_desk_in_thread(app=create_desk_app(rate_limit=args.rate))
    desk = server.app.extensions["desk"]
    if failing:
        # Half 429, half 503; one draw per request, so `failing` of all requests fail.
        for fault in ({"status": 429, "retry_after": 1}, {"status": 503}):
            requests.post(f"{desk_url}/_desk/faults", json={
                **fault, "probability": failing / 2, "count": 10 ** 9}).raise_for_status()
    env = goodwill_env(database, ZENDESK_URL=desk_url, ZENDESK_EMAIL="bench@example.com", ZENDESK_TOKEN="bench")
    upgrade(env)
    receiver, url = start_gunicorn("webhook_server:create_app()", env)
    workers = [subprocess.Popen([sys.executable, "-m", "engine.cli", "worker", "--concurrency", str(args.threads)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(args.workers)]
    engine = create_engine(database)
    expected = {f"goodwill:twitter:burst-{n}" for n in range(args.complaints)}
    cpu = CpuMeter([process.pid for process in workers])
    try:
        time.sleep(5)  # imports and policy loading are not what is measured
        start = time.time()
        load(url, complaints(args.complaints), clients=8)
        accepted = time.time()
        while waiting_events(engine):
            time.sleep(0.2)
        decided = time.time()
        while set(tickets_made(desk)) < expected and time.time() - start < args.timeout:
            time.sleep(0.1)
        all_exist = time.time()
        while unfinished_actions(engine) and time.time() - start < args.timeout:
            time.sleep(0.1)
        done = time.time()
        with engine.connect() as conn:
            first_due = conn.scalar(select(func.min(Action.created_at)).where(Action.type == "zendesk.ticket"))
    finally:
        cpu.stop()
        for process in workers:
            process.terminate()
            process.wait(timeout=60)
        receiver.terminate()
        receiver.wait(timeout=60)
        engine.dispose()
    requests.delete(f"{desk_url}/_desk/faults")
    with desk.lock:
        log = list(desk.requests)
    server.shutdown()
    made = tickets_made(desk)
    first_request = min(r["at"] for r in log)
    return {"cpu": cpu.between(first_request, done), "polls": sum("/job_statuses" in r["path"] for r in log),"accept": accepted - start, "decide": decided - start, "first_due": first_due.timestamp() - start,
            "desk_start": first_request - start, "all_exist": all_exist - first_request,
            "done": done - first_request, "from_first_complaint": done - start,
            "requests": len(log), "failed": sum(r["status"] >= 400 for r in log),
            "forbidden": forbidden_seconds(log),
            "kinds": Counter(f"{r['method']} {r['path'].removesuffix('.json')}" for r in log
                             if "/job_statuses" not in r["path"]),
            "duplicates": sum(count - 1 for count in made.values() if count > 1),
            "doubled": sorted(external_id for external_id, count in made.items() if count > 1)[:5],
            "missing": len(expected - set(made))}


def report(title: str, figures: dict, needed: int, rate: int) -> None:
    bound = needed / rate * 60
    print(f"\n{title}")
    print(f"  fewest requests the design needs: {needed}; least time {rate}/min allows: {bound:.1f} s")
    print(f"  complaints accepted in {figures['accept']:.1f} s; all decided after {figures['decide']:.1f} s "
          f"(first ticket action due after {figures['first_due']:.1f} s)")
    print(f"  outbox's first request after {figures['desk_start']:.1f} s; from it, every ticket exists after "
          f"{figures['all_exist']:.1f} s, every action done after {figures['done']:.1f} s")
    floor = bound + figures["forbidden"]
    if figures["forbidden"]:
        print(f"  the 429s forbade sending for {figures['forbidden']:.1f} s: bound with them {floor:.1f} s")
    print(f"  ratio (every action done, desk clock) to the bound: {figures['done'] / floor:.2f}  (target <= 1.05)")
    print(f"  from the first complaint to every action done: {figures['from_first_complaint']:.1f} s, "
          f"{figures['from_first_complaint'] / floor:.2f} x the bound")
    print(f"  requests sent: {figures['requests']} ({figures['failed']} failed): job polls {figures['polls']}, "
          + ", ".join(f"{kind} {count}" for kind, count in figures["kinds"].most_common()))
    workers, stand_in, machine = figures["cpu"]
    print(f"  CPU seconds from the outbox's first request to the last action: workers {workers:.0f}, the stand-in "
          f"(this process) {stand_in:.0f}, the whole machine {machine:.0f} of {figures['done'] * os.cpu_count():.0f}")
    print(f"  duplicate tickets: {figures['duplicates']}, missing tickets: {figures['missing']}"
          + (f" (doubled: {', '.join(figures['doubled'])})" if figures["doubled"] else ""))
    if figures["decide"] > figures["desk_start"] + figures["done"] - figures["decide"]:
        print("  deciding, not Zendesk, is the bottleneck: the outbox waits for the workers to decide")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=700, help="the stand-in's requests a minute")
    parser.add_argument("--workers", type=int, default=2, help="goodwill worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--failing", type=float, default=0.10, help="share of requests failing in run 2")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    needed = REQUESTS_PER_BATCH * math.ceil(args.complaints / BATCH) + NAME_LOOKUPS
    with tempfile.TemporaryDirectory() as folder:
        print(f"{args.complaints} complaints, each a new author and conversation; stand-in at {args.rate} "
              f"requests a minute; {args.workers} worker processes x {args.threads} threads")
        report("run 1: every request answered", burst(args, Path(folder), 0.0), needed, args.rate)
        # A failed request is sent again: the same tickets need needed / (1 - failing) requests.
        report(f"run 2: {args.failing:.0%} of requests fail with 429 or 503", burst(args, Path(folder), args.failing),
               math.ceil(needed / (1 - args.failing)), args.rate)


if __name__ == "__main__":
    main()
