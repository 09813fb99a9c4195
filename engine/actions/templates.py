"""Text templates in policies: "Thanks {author.name}" filled from the enriched event."""
from string import Formatter

_FORMATTER = Formatter()


def fields_in(template: str) -> list[str]:
    """List the dotted fact paths a template reads; raise ValueError when its braces are broken."""
    return [field for _, field, _, _ in _FORMATTER.parse(template) if field is not None]


def lookup(fact: dict, path: str):
    """Follow a dotted path through nested dicts; None where any step is missing."""
    value = fact
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def render(template: str, fact: dict) -> str:
    """Fill each {dotted.path} from the fact; a missing or null value becomes ""."""
    parts = []
    for literal, field, spec, conversion in _FORMATTER.parse(template):
        parts.append(literal)
        if field is None:
            continue
        value = lookup(fact, field)
        if value is None:
            continue
        if conversion:
            value = _FORMATTER.convert_field(value, conversion)
        # A format spec that does not suit the value ("{name:.2f}" on text) must not lose the message.
        try:
            parts.append(format(value, spec))
        except (TypeError, ValueError):
            parts.append(str(value))
    return "".join(parts)
