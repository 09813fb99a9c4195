"""Build a whole enriched event from a partial one, for policy tests and simulations."""
from engine.sentiment import sentiment
from engine.signals import analyze
from engine.textnorm import hashtags, mentions, normalize

EVENT_DEFAULTS = {
    "id": "test-event", "platform": "twitter", "kind": "mention", "brand": "brand",
    "text": None, "url": None, "rating": None, "in_reply_to": None, "thread": None,
    "occurred_at": "2026-01-01T12:00:00Z", "referred": None, "extra": {}, "from_brand": False,
}
NESTED_DEFAULTS = {
    "author": {"id": "customer-1", "handle": "customer", "name": "Sam Customer", "email": None,
               "followers": None, "verified": None},
    "conversation": {"first": True, "ticketed": False},
    "customer": {"linked": False, "points": 0, "vouchers": 0, "tier": "member"},
}
COUNT_KEYS = ("history", "brand_history", "rates")
OPEN_KEYS = {"extra", "referred", "text_norm", "sentiment", "signals", "hashtags", "mentions",
             *COUNT_KEYS}


def unknown_keys(event: dict) -> list[tuple[str, list[str]]]:
    """Return (key, the keys it could have been) for every key an event should not have."""
    top = set(EVENT_DEFAULTS) | set(NESTED_DEFAULTS) | OPEN_KEYS
    found = [(key, sorted(top)) for key in event if key not in top]
    for name, defaults in NESTED_DEFAULTS.items():
        given = event.get(name)
        if isinstance(given, dict):
            found += [(f"{name}.{key}", [f"{name}.{k}" for k in defaults])
                      for key in given if key not in defaults]
    return found


def fact_from_event(event: dict, counts=()) -> dict:
    """Fill a partial event into a fact: defaults, text_norm, VADER sentiment unless given.

    Every count the policies read (`counts`: CountSpecs) is 0 unless the event gives it.
    """
    fact = {**EVENT_DEFAULTS, **event}
    for name, defaults in NESTED_DEFAULTS.items():
        fact[name] = {**defaults, **(event.get(name) or {})}
    fact["thread"] = fact["thread"] or fact["id"]
    fact["text_norm"] = event.get("text_norm") or normalize(fact["text"])
    fact.setdefault("hashtags", hashtags(fact["text"]))
    fact.setdefault("mentions", mentions(fact["text"]))
    if "sentiment" not in event:
        fact["sentiment"] = sentiment(fact["text"])
    if "signals" not in event:
        fact["signals"] = analyze(fact["text"], tone=fact["sentiment"])
    found: dict[str, dict] = {key: {} for key in COUNT_KEYS}
    for spec in counts:
        key, inner = spec.slot
        found[key][inner] = 0
    for key in COUNT_KEYS:
        fact[key] = {**found[key], **(event.get(key) or {})}
    return fact
