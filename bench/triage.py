"""Measure how well the signals and the shipped policies find complaints without flagging praise.

    python bench/triage.py [tweets.csv] [--threshold 0.2] [--policies DIR] [--misses N]

Each set is scored three ways in the same run: VADER's compound below -0.05 (the baseline),
`signals.complaint` at or above the threshold (default: where `is_complaint` flags), and "the
shipped policies put it under policy_complaints" (a rule of the `complaints` policy asks for a
ticket). Complaints are the airline tweets labelled negative with a reason other than "Can't
Tell"; praise the positive ones; F1 counts neutral tweets flagged as false alarms too. The
second set is our own hand-written multi-domain posts (tests/fixtures/signals_multidomain.yaml),
so the signals are not judged on airlines alone, printed whole and per batch: batch 1 was tuned
on, batch 2 written after that, batch 3 (ten kinds of business) before a second round. Last,
the first customer messages of real care conversations (twitter-care, Apache-2.0), which
brands all answered: how many read as a complaint or a question. The airline data (CC BY-NC-SA)
is only read here, never shipped, and nothing is trained on it.
"""
import argparse
import csv
import json
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.policy import load_policy_set, oracle_decide  # noqa: E402
from engine.policy.facts import fact_from_event  # noqa: E402
from engine.sentiment import sentiment  # noqa: E402
from engine.signals import FLAG_AT, analyze  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "airline-sentiment" / "tweets.csv"
MULTIDOMAIN = REPO / "tests" / "fixtures" / "signals_multidomain.yaml"
CARE = REPO.parent / "shared" / "corpora" / "twitter-care" / "conversations.json"
VADER_CUTOFF = -0.05


def airline_posts(path: Path) -> list[dict]:
    """Read the airline tweets as posts labelled complaint, praise or neutral."""
    posts = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["airline_sentiment"] == "negative":
                if row["negativereason"] == "Can't Tell":
                    continue
                label = "complaint"
            else:
                label = "praise" if row["airline_sentiment"] == "positive" else "neutral"
            posts.append({"text": row["text"], "label": label})
    return posts


def multidomain_posts(batch: int | None = None) -> list[dict]:
    """Read our own labelled posts (one batch, or all); questions and chatter count as neutral."""
    data = yaml.safe_load(MULTIDOMAIN.read_text(encoding="utf-8"))
    return [{"text": p["text"], "label": p["label"] if p["label"] in ("complaint", "praise")
             else "neutral"} for p in data["posts"] if batch in (None, p.get("batch", 1))]


def complaints_policy(policies: Path):
    """Return a function telling whether the shipped policies ticket a post as a complaint."""
    policy_set = load_policy_set(policies)
    counts = policy_set.count_specs()

    def flagged(post: dict) -> bool:
        fact = fact_from_event({"text": post["text"], "kind": "mention",
                                "sentiment": post["vader"]}, counts)
        fact["signals"] = post["signals"]
        return any(m.policy.name == "complaints" and m.rule.tickets
                   for m in oracle_decide(policy_set, fact))
    return flagged


def score(posts: list[dict], flagged) -> dict:
    """Return the share of complaints found, of praise and neutral flagged, and complaint F1."""
    hits = {label: sum(1 for p in posts if p["label"] == label and flagged(p))
            for label in ("complaint", "praise", "neutral")}
    totals = {label: sum(1 for p in posts if p["label"] == label) for label in hits}
    found = hits["complaint"] / max(totals["complaint"], 1)
    precision = hits["complaint"] / max(sum(hits.values()), 1)
    f1 = 2 * precision * found / (precision + found) if precision + found else 0.0
    return {"found": found, "praise": hits["praise"] / max(totals["praise"], 1),
            "neutral": hits["neutral"] / max(totals["neutral"], 1), "f1": f1}


def report(title: str, posts: list[dict], methods: dict) -> None:
    """Print one set's figures, a row per method."""
    counts = {label: sum(1 for p in posts if p["label"] == label)
              for label in ("complaint", "praise", "neutral")}
    print(f"\n{title}: {len(posts)} posts ({counts['complaint']} complaints, "
          f"{counts['praise']} praise, {counts['neutral']} neutral)")
    print(f"  {'method':<44}{'complaints found':>17}{'praise flagged':>16}"
          f"{'complaint F1':>14}{'neutral flagged':>17}")
    for name, flagged in methods.items():
        s = score(posts, flagged)
        print(f"  {name:<44}{s['found']:>16.1%}{s['praise']:>16.1%}{s['f1']:>14.3f}"
              f"{s['neutral']:>17.1%}")


def show_misses(posts: list[dict], flagged, count: int) -> None:
    """Print complaints the signals missed and praise they flagged, with their cues."""
    for label, wanted in (("complaint", False), ("praise", True)):
        wrong = [p for p in posts if p["label"] == label and flagged(p) == wanted][:count]
        print(f"\n{'missed complaints' if label == 'complaint' else 'praise flagged'}:")
        for post in wrong:
            cues = post["signals"]["cues"]
            print(f"  {post['signals']['complaint']:.2f} {post['text'][:140]!r}\n"
                  f"       complaint={cues['complaint']} praise={cues['praise']}")


def care_report(path: Path) -> None:
    """Print how many first messages of real care conversations read as complaint or question."""
    conversations = json.loads(path.read_text(encoding="utf-8"))
    firsts = [c["dialogContent"][0]["message"] for c in conversations
              if "client" in c["dialogContent"][0]]
    read = [analyze(text) for text in firsts]
    either = sum(s["is_complaint"] or s["is_question"] for s in read) / len(read)
    print(f"\nfirst customer messages of {path.parent.name} (each one answered by the brand): "
          f"{len(read)}; complaint {sum(s['is_complaint'] for s in read) / len(read):.1%}, "
          f"question {sum(s['is_question'] for s in read) / len(read):.1%}, either {either:.1%}, "
          f"praise {sum(s['is_praise'] for s in read) / len(read):.1%}")


def long_post_ms(sets: dict) -> float:
    """Time one post made of many posts run together, 10,000 characters long."""
    text = " ".join(p["text"] for posts in sets.values() for p in posts)[:10_000]
    started = time.perf_counter()
    analyze(text)
    return (time.perf_counter() - started) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--threshold", type=float, default=FLAG_AT["complaint"])
    parser.add_argument("--policies", type=Path, default=REPO / "policies")
    parser.add_argument("--misses", type=int, default=0, help="show this many errors per kind")
    args = parser.parse_args(argv)
    if not args.path.exists():
        print(f"{args.path}: corpus not found", file=sys.stderr)
        return 1
    sets = {f"airline tweets ({args.path.name})": airline_posts(args.path),
            f"our multi-domain set ({MULTIDOMAIN.name})": multidomain_posts(),
            "  of which batch 1, tuned on": multidomain_posts(batch=1),
            "  of which batch 2, written after the first tuning": multidomain_posts(batch=2),
            "  of which batch 3, written before the second": multidomain_posts(batch=3)}
    analysed, elapsed = 0, 0.0
    for posts in sets.values():
        for post in posts:
            post["vader"] = sentiment(post["text"])
            started = time.perf_counter()
            post["signals"] = analyze(post["text"], tone=post["vader"])
            elapsed += time.perf_counter() - started
            analysed += 1
    methods = {
        f"VADER compound < {VADER_CUTOFF}": lambda p: p["vader"] < VADER_CUTOFF,
        f"signals.complaint >= {args.threshold}": lambda p: p["signals"]["complaint"] >= args.threshold,
        "shipped policies -> policy_complaints": complaints_policy(args.policies),
    }
    for title, posts in sets.items():
        report(title, posts, methods)
    if CARE.exists():
        care_report(CARE)
    print(f"\nanalyze(): {analysed} posts in {elapsed:.1f} s ({analysed / elapsed:,.0f} posts/s); "
          f"a 10,000-character post: {long_post_ms(sets):.0f} ms")
    print("targets: complaints found >= 90%, praise flagged <= 10%")
    if args.misses:
        signal = methods[f"signals.complaint >= {args.threshold}"]
        for title, posts in sets.items():
            print(f"\n== {title}")
            show_misses(posts, signal, args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
