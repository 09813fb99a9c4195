"""Pick out the details an agent needs (order numbers, amounts, contacts) and mask contacts."""
import re

# Links hold long digit runs (ids) that would pass for phone or order numbers.
_URL = re.compile(r"(?:https?://|www\.)\S+")
MAX_PER_KIND = 10
MASKED_KINDS = ("emails", "phones")


def singular(kind: str) -> str:
    """Name the first detail of a kind: `order_numbers` -> `order_number`."""
    return kind[:-1]


def find(text: str, patterns: dict[str, list[re.Pattern]]) -> list[tuple[str, int, int]]:
    """Return (kind, start, end) of every detail; a stretch of text serves one kind only."""
    # Kinds are tried in the order the lexicon files list them, so the ones named by a word
    # ("order 20931") claim their digits before the bare shapes (a ZIP code, a phone number).
    taken = bytearray(len(text))
    for link in _URL.finditer(text):
        taken[link.start():link.end()] = b"\x01" * (link.end() - link.start())
    found = []
    for kind, kind_patterns in patterns.items():
        for pattern in kind_patterns:
            for match in pattern.finditer(text):
                start, end = match.span("value") if "value" in pattern.groupindex else match.span()
                if start == end or any(taken[start:end]):
                    continue
                taken[start:end] = b"\x01" * (end - start)
                found.append((kind, start, end))
    return sorted(found, key=lambda item: item[1])


def extract(text: str, patterns: dict[str, list[re.Pattern]]) -> dict[str, list[str]]:
    """Return every kind's values, in order of appearance, without repeats."""
    values = {kind: [] for kind in patterns}
    for kind, start, end in find(text, patterns):
        value = " ".join(text[start:end].split())
        if value not in values[kind] and len(values[kind]) < MAX_PER_KIND:
            values[kind].append(value)
    return values


def mask(text: str, patterns: dict[str, list[re.Pattern]]) -> str:
    """Hide emails (k***@example.com) and phone numbers (all but their last two digits)."""
    spans = [(kind, start, end) for kind, start, end in find(text, patterns) if kind in MASKED_KINDS]
    for kind, start, end in reversed(spans):
        value = text[start:end]
        hidden = _mask_email(value) if kind == "emails" else _mask_digits(value)
        text = text[:start] + hidden + text[end:]
    return text


def _mask_email(value: str) -> str:
    local, _, domain = value.rpartition("@")
    return f"{local[:1]}***@{domain}"


def _mask_digits(value: str) -> str:
    keep = sum(ch.isdigit() for ch in value) - 2
    out = []
    for ch in value:
        if ch.isdigit():
            out.append("*" if keep > 0 else ch)
            keep -= 1
        else:
            out.append(ch)
    return "".join(out)
