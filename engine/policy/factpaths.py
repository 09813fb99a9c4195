"""The fields of the enriched event (the fact) that policies may test and templates may show."""
import json
import re

from engine.signals import field_types as signal_field_types

# Every path of the fact and the type its value has when known; a value of another type
# counts as missing, so the durable_rules engine and plain Python never compare "50" with 50.
FIELD_TYPES = {
    "id": "string", "platform": "string", "kind": "string", "brand": "string", "text": "string",
    "url": "string", "rating": "integer", "in_reply_to": "string", "thread": "string",
    "occurred_at": "string",
    "author.id": "string", "author.handle": "string", "author.name": "string",
    "author.email": "string", "author.followers": "integer", "author.verified": "bool",
    "referred.email": "string", "referred.code": "string", "referred.name": "string",
    "text_norm": "string", "sentiment": "number",
    "conversation.first": "bool", "conversation.ticketed": "bool",
    "customer.linked": "bool", "customer.points": "integer", "customer.vouchers": "integer",
    "from_brand": "bool", "hashtags": "labels", "mentions": "labels", "customer.tier": "string",
    "decided.ticket": "bool", "decided.labels": "labels",
}
FIELD_TYPES.update(signal_field_types())
# `decided` exists only while fallback rules are matched; actions never see it.
DECIDED_PATHS = ("decided.ticket", "decided.labels")
HISTORY_NAME = re.compile(r"^[a-z][a-z0-9_-]*?_\d+[mhd]$")
EXTRA_KEY = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
FALLBACK_DECIDED = {"ticket": False, "labels": [], "rules": []}


def field_type(path: str) -> str | None:
    """Return the type of a fact path (`history.*` integer, `extra.*` json), None if unknown."""
    if path in FIELD_TYPES:
        return FIELD_TYPES[path]
    head, _, rest = path.partition(".")
    if head in ("history", "brand_history") and HISTORY_NAME.match(rest):
        return "integer"
    if head == "extra" and EXTRA_KEY.match(rest):
        return "json"
    return None


def example_paths() -> list[str]:
    """Return the paths to suggest when one is misspelt."""
    return [*FIELD_TYPES, "history.complaints_30d", "history.engagements_30d",
            "brand_history.complaints_1h"]


def template_path_ok(path: str) -> bool:
    """Tell whether a template may show this path (any fact field except `decided`)."""
    return field_type(path) is not None and path not in DECIDED_PATHS


def raw(fact: dict, steps: tuple[str, ...]):
    """Follow steps through nested dicts; None where any step is missing."""
    value = fact
    for step in steps:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def typed(value, kind: str):
    """Return the value if it has the field's type, else None (treated as missing)."""
    if value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) else None
    if kind == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return value if ok else None
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if kind == "labels":
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else None
    if kind == "json":
        return canonical_json(value)
    return value


def canonical_json(value) -> str:
    """Encode an `extra` value so both engines compare it exactly (true is not 1, "50" is not 50)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def text_norm(fact: dict) -> str:
    """Return the fact's normalised text with single spaces, as both engines must see it."""
    value = fact.get("text_norm")
    if not isinstance(value, str):
        return " "
    return " " + " ".join(value.split()) + " "
