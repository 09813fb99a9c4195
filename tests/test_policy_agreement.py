"""durable_rules and the plain-Python oracle make the same decisions, with the same whys."""
import json
import random
from pathlib import Path

import pytest
import yaml

from engine.policy import RulesEngine, load_policy_set, oracle_decide
from engine.textnorm import hashtags, mentions, normalize

POLICIES = Path(__file__).resolve().parent.parent / "policies"
CORPUS = Path("/work/shared/corpora/twitter-care/conversations.json")
# Texts that exercise accents, other scripts, phrases, repeats and emptiness.
EXTRA_TEXTS = ["Café niño 退款 спасибо", "help", "", None, "thanks thanks love", "w0 w1 w0",
               "not working not working", "ÉRROR! Can't log in", "refund refund? REFUND!",
               "my order never arrived, still waiting", "I love it but it is broken",
               "@AcmeHelp #Outage again, order #123456 @kim.fan", "#fail #Fail #café @acmehelp"]
PATTERNS = [r"order #?\d{6}", r"^@\w+", r"(?i)refund|money back", r"(x+x+)+y", r"\bhelp\b"]
TAGS = ["outage", "fail", "cafe", "acmehelp", "kim.fan", "nothing"]
HOURS = {"timezone": "Europe/London", "open": {"mon-fri": "09:00-17:30", "sat": "10:00-14:00"},
         "holidays": ["2026-03-02"],
         "brands": {"Brand": {"timezone": "America/New_York", "open": {"mon-sun": "08:00-20:00"}}}}
KEYWORDS = ["help", "account", "not working", "can't", "please", "thanks", "app", "password",
            "log in", "refund", "order", "café", "niño", "退款", "спасибо", "my", "the", "i",
            "crash", "error", "why", "love", "w0", "still waiting"]
KINDS = ["mention", "comment", "direct_message", "review", "like", "share", "referral"]


def customer_texts() -> list:
    """Return customer tweets of the twitter-care corpus (when present) and tricky texts."""
    texts = list(EXTRA_TEXTS)
    if CORPUS.exists():
        conversations = json.loads(CORPUS.read_text(encoding="utf-8"))
        texts += [turn["message"] for c in conversations for turn in c["dialogContent"]
                  if "client" in turn]
    return texts


def make_fact(rng: random.Random, text, n: int) -> dict:
    """Build an enriched event around a text with varied sentiment, history and profile."""
    return {
        "id": str(n), "platform": rng.choice(["twitter", "facebook", "google", None]),
        "kind": rng.choice(KINDS), "brand": rng.choice(["Mary", "Brand"]), "text": text,
        "url": None, "rating": rng.choice([None, 1, 2, 3, 4, 5]), "in_reply_to": None,
        "thread": str(n), "occurred_at": rng.choice([
            "2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z", "2026-03-03T08:59:00+00:00",
            "2026-03-03T17:30:00Z", "2026-03-07T13:59:59Z", "2026-03-03T03:00:00-05:00", "never"]),
        "hashtags": hashtags(text), "mentions": mentions(text),
        "author": {"id": "a", "handle": rng.choice(["Mary", "Bob", None, 'Zoë "q" \\ x']),
                   "name": rng.choice(["Mary", None]), "email": None,
                   "followers": rng.choice([None, 0, 3, 1000]),
                   "verified": rng.choice([None, True, False])},
        "referred": rng.choice([None, {"email": "x@example.com", "code": None, "name": None}]),
        "extra": rng.choice([{}, {"vip": True}, {"vip": 1}, {"vip": "true"}, {"tier": "gold"}]),
        "text_norm": normalize(text),
        "sentiment": rng.choice([round(rng.uniform(-1, 1), 3), -0.3, 0.0, 0.5, 1]),
        "history": {"complaints_30d": rng.randint(0, 5), "engagements_30d": rng.randint(0, 12),
                    "mentions_7d": rng.choice([0, 3, None])},
        "conversation": {"first": rng.random() < 0.6, "ticketed": rng.random() < 0.3},
        "customer": {"linked": rng.random() < 0.5, "points": rng.choice([0, 3, 50]), "vouchers": 0,
                     "tier": rng.choice(["member", "gold", None])},
        "from_brand": False,
    }


def random_condition(rng: random.Random, fallback: bool, depth: int = 0):
    """Return one random `when` entry (key, value), nesting any/all/not a little."""
    roll = rng.random()
    if depth < 2 and roll < 0.2:
        key = rng.choice(["any", "all"])
        return key, [dict([random_condition(rng, fallback, depth + 1)])
                     for _ in range(rng.randint(1, 3))]
    if depth < 2 and roll < 0.3:
        return "not", dict([random_condition(rng, fallback, depth + 1)])
    numbers = ["rating", "history.complaints_30d", "history.engagements_30d",
               "history.mentions_7d", "customer.points", "author.followers"]
    flags = ["author.verified", "conversation.first", "conversation.ticketed", "customer.linked"]
    choices = ["kind", "sentiment", "text", "text", "text", "author.handle", "extra.vip",
               "referred.email", "matches", "hashtags", "mentions", "rate", "business_hours",
               "brand_history.mentions_1h", "customer.tier", *numbers, *flags]
    if fallback:
        choices += ["decided.ticket", "decided.labels"] * 2
    key = rng.choice(choices)
    if key == "kind":
        kinds = rng.sample(KINDS, rng.randint(1, 3))
        return key, rng.choice([kinds, kinds[0], {"not_in": kinds}, {"not_equals": kinds[0]}])
    if key == "sentiment":
        return key, {rng.choice(["below", "above", "at_least", "at_most"]): round(rng.uniform(-1, 1), 2)}
    if key in numbers:
        op = rng.choice(["below", "above", "at_least", "at_most", "equals", "not_equals",
                         "exists", "in", "not_in"])
        return key, {op: {"exists": rng.random() < 0.5, "in": [1, 2, 5], "not_in": [0, 3]}.get(
            op, rng.randint(0, 6))}
    if key in flags or key == "decided.ticket":
        return key, rng.choice([True, False, {"exists": True}, {"not_equals": True}])
    if key == "author.handle":
        return key, rng.choice(["Mary", ["Mary", "Bob"], {"not_in": ["Mary"]}, 'Zoë "q" \\ x'])
    if key == "text":
        words = rng.sample(KEYWORDS, rng.randint(1, 4))
        return key, rng.choice([{"contains_any": words}, {"contains_all": words[:2]}, words,
                                {"exists": rng.random() < 0.5}])
    if key == "matches":
        return "text", {"matches": rng.choice([rng.choice(PATTERNS), rng.sample(PATTERNS, 2)])}
    if key in ("hashtags", "mentions"):
        tags = rng.sample(TAGS, rng.randint(1, 3))
        return key, rng.choice([tags, tags[0], {"all": tags}, {"none": tags}])
    if key == "rate":
        words = {"mentioning": rng.sample(KEYWORDS, 2)} if rng.random() < 0.5 else {}
        return key, {"of": rng.choice(["complaints", "mentions"]), "within": "10m", **words,
                     rng.choice(["at_least", "below"]): rng.randint(0, 6)}
    if key == "business_hours":
        return key, rng.choice(["open", "closed"])
    if key == "brand_history.mentions_1h":
        return key, {rng.choice(["at_least", "below", "equals"]): rng.randint(0, 6)}
    if key == "customer.tier":
        return key, rng.choice(["gold", ["member", "gold"], {"exists": False}])
    if key == "extra.vip":
        return key, rng.choice([True, "true", 1, {"in": [True, 1]}, {"not_equals": True}])
    if key == "referred.email":
        return key, {"exists": rng.random() < 0.5}
    return key, rng.choice(["praise", {"excludes": "praise"}, {"includes": ["complaint", "question"]}])


def random_policy(rng: random.Random, name: str, rules: int) -> dict:
    """Return a random policy with stops, priorities, labels and fallback rules."""
    body = []
    for index in range(rules):
        fallback = rng.random() < 0.3
        rule = {"name": f"r{index}",
                "when": dict(random_condition(rng, fallback) for _ in range(rng.randint(1, 3))),
                "then": [{"zendesk.ticket": {"priority": "high"}} if rng.random() < 0.5
                         else {"loyalty.credit": {"points": 1}}],
                "fallback": fallback, "stop": rng.random() < 0.2, "priority": rng.randint(0, 200),
                "labels": rng.sample(["praise", "complaint", "question"], rng.randint(0, 2))}
        body.append(rule)
    return {"policy": name, "business_hours": HOURS, "rules": body}


def with_counts(rng: random.Random, fact: dict, policy_set) -> dict:
    """Give the fact a random value for every count the policies read, some missing."""
    for spec in policy_set.count_specs():
        key, inner = spec.slot
        fact.setdefault(key, {})[inner] = rng.choice([0, 1, 3, 6, 20, None])
    return fact


def assert_agree(policy_set, facts) -> int:
    """Decide every fact with both engines, assert they agree, and count the matches."""
    matched = 0
    with RulesEngine(policy_set) as engine:
        for fact in facts:
            expected = [(m.name, m.why) for m in oracle_decide(policy_set, fact)]
            assert [(m.name, m.why) for m in engine.decide(fact)] == expected, fact
            matched += len(expected)
    return matched


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_policies_decide_the_same_in_both_engines(tmp_path, seed):
    rng = random.Random(seed)
    for number in range(3):
        # Up to 80 rules a policy: large policies spread over several rulesets.
        document = random_policy(rng, f"p{number}", rng.randint(1, 80))
        (tmp_path / f"p{number}.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))
    policy_set = load_policy_set(tmp_path)
    texts = customer_texts()
    facts = [with_counts(rng, make_fact(rng, rng.choice(texts), n), policy_set)
             for n in range(250)]
    assert assert_agree(policy_set, facts) > 250


def test_shipped_policies_decide_the_same_in_both_engines_on_real_tweets():
    rng = random.Random(7)
    policy_set = load_policy_set(POLICIES)
    facts = [make_fact(rng, text, n) for n, text in enumerate(customer_texts())]
    assert assert_agree(policy_set, facts) > len(facts) // 2
