"""Decisions per second: durable_rules (the engine thread) against the plain-Python oracle.

durable_rules is measured one fact a call (one worker) and in batches (the engine thread
serves decisions queued by several workers together).

Facts come from the twitter-care corpus (every tweet, with varied history counts), decided
by the shipped policies. The oracle is the baseline, measured in the same run; the figure
that matters is the ratio. Both must agree on every fact.

    python bench/engine.py [CONVERSATIONS.json] [--rounds N]
"""
import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.policy import RulesEngine, load_policy_set, oracle_decide  # noqa: E402
from engine.policy.facts import fact_from_event  # noqa: E402
from engine.replay import conversation_events  # noqa: E402
from engine.settings import shipped_policies_dir  # noqa: E402

# Decisions the engine thread makes in one go when several workers queue them together.
BATCH = 32
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "twitter-care" / "conversations.json"


def corpus_facts(path: Path, specs) -> list[dict]:
    """Turn every corpus tweet into a fact, cycling the counts so history and rate rules fire too."""
    facts = []
    for conversation in json.loads(path.read_text()):
        for n, event in enumerate(conversation_events(conversation)):
            counts: dict[str, dict] = {}
            for i, spec in enumerate(sorted(specs, key=lambda s: s.slot)):
                key, inner = spec.slot
                counts.setdefault(key, {})[inner] = (len(facts) * 7 + i) % 12
            facts.append(fact_from_event({
                **event, **counts, "id": f"{event['id']}-{len(facts)}",
                "conversation": {"first": n == 0, "ticketed": n > 0},
                "from_brand": event["author"]["handle"] == event["brand"]}, specs))
    return facts


def timed_many(decide_all, facts) -> tuple[float, list]:
    """Return (decisions per second, the decisions) of one batched pass over the facts."""
    start = time.perf_counter()
    results = [[(m.policy.name, m.rule.name) for m in matches] for matches in decide_all(facts)]
    return len(facts) / (time.perf_counter() - start), results


def timed(decide, facts) -> tuple[float, list]:
    """Return (decisions per second, the decisions) of one pass over the facts."""
    start = time.perf_counter()
    results = [[(m.policy.name, m.rule.name) for m in decide(fact)] for fact in facts]
    return len(facts) / (time.perf_counter() - start), results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    policy_set = load_policy_set(shipped_policies_dir())
    facts = corpus_facts(args.corpus, policy_set.count_specs())
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rates: dict[str, list[float]] = {"oracle": [], "single": [], "batch": []}
    with RulesEngine(policy_set) as engine:
        def batched(fact_list):
            return [m for start in range(0, len(fact_list), BATCH)
                    for m in engine.decide_many(fact_list[start:start + BATCH])]

        # Rounds alternate between the three, and each keeps its best round, so a busy
        # machine slows all alike rather than whichever happened to run last.
        for _ in range(args.rounds):
            rate, oracle_results = timed(lambda f: oracle_decide(policy_set, f), facts)
            rates["oracle"].append(rate)
            rate, single_results = timed(engine.decide, facts)
            rates["single"].append(rate)
            rate, batch_results = timed_many(batched, facts)
            rates["batch"].append(rate)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    disagreements = sum(a != b or a != c
                        for a, b, c in zip(oracle_results, single_results, batch_results))
    rules = sum(len(p.rules) for p in policy_set.policies)
    best = {name: max(values) for name, values in rates.items()}
    print(f"facts: {len(facts)} x {args.rounds} rounds (best round shown); "
          f"policies: {len(policy_set.policies)}, rules: {rules}")
    print(f"oracle (plain Python, baseline):   {best['oracle']:8.0f} decisions/s   1.00x")
    print(f"durable_rules, one fact a call:    {best['single']:8.0f} decisions/s   "
          f"{best['single'] / best['oracle']:.2f}x")
    print(f"durable_rules, {BATCH} facts a call:    {best['batch']:8.0f} decisions/s   "
          f"{best['batch'] / best['oracle']:.2f}x")
    print(f"peak RSS growth while the engine ran: {(rss_after - rss_before) / 1024:.1f} MiB")
    print(f"disagreements: {disagreements}")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
