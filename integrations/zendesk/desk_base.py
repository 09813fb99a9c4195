"""Shared pieces of the Zendesk stand-in: Zendesk-shaped errors, clock, tags and paging."""
from datetime import datetime, timezone
from urllib.parse import urlencode


class DeskError(Exception):
    """An error the desk answers with Zendesk's status code, JSON body and headers."""

    def __init__(self, status, body, headers=None):
        super().__init__(body.get("error"))
        self.status = status
        self.body = body
        self.headers = headers or {}


def record_invalid(details):
    """Return Zendesk's 422 for the fields that failed validation."""
    return DeskError(422, {"error": "RecordInvalid", "description": "Record validation errors",
                           "details": details})


def not_found():
    """Return Zendesk's 404 for a record that does not exist."""
    return DeskError(404, {"error": "RecordNotFound", "description": "Not found"})


def bad_request(description, error="InvalidValue"):
    """Return a 400 for a request the desk cannot read at all."""
    return DeskError(400, {"error": error, "description": description})


def add_field_error(details, field, description, error="InvalidValue"):
    """Record one validation failure in Zendesk's `details` layout."""
    details.setdefault(field, []).append({"description": description, "error": error})


def now_iso():
    """Return the current UTC time as Zendesk writes it (ISO 8601, seconds, Z)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_of(iso):
    """Return the Unix time of a timestamp written by now_iso."""
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


def normalize_tags(value):
    """Return tags as Zendesk stores them: lower-case, split on whitespace, each once."""
    if value is None:
        return []
    raw = [value] if isinstance(value, (str, int)) else value
    if not isinstance(raw, list):
        raise record_invalid({"tags": [{"description": "Tags: must be a list of strings",
                                        "error": "InvalidValue"}]})
    tags = []
    for item in raw:
        # Zendesk treats a space as a separator: "late delivery" becomes two tags.
        for word in str(item).lower().split():
            if word not in tags:
                tags.append(word)
    return tags


def as_int(value):
    """Return value as an int, or None when it is not a whole number."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bounded(text, default, lowest, highest):
    number = as_int(text)
    if number is None:
        return default
    return max(lowest, min(highest, number))


def page_of(items, args, base_url, key):
    """Return one page of items under `key`, paged the way Zendesk pages lists."""
    # `page[size]` or a cursor asks for cursor pagination (meta, links); otherwise it is offset
    # pagination (page, per_page; next_page, previous_page, count). Cursors are list positions.
    def link(**changes):
        params = {**args.to_dict(), **changes}
        return base_url + "?" + urlencode({k: v for k, v in params.items() if v is not None})

    if any(name in args for name in ("page[size]", "page[after]", "page[before]")):
        size = _bounded(args.get("page[size]"), 100, 1, 100)
        if "page[before]" in args:
            end = _bounded(args.get("page[before]"), 0, 0, len(items))
            start = max(0, end - size)
        else:
            start = _bounded(args.get("page[after]"), 0, 0, len(items))
            end = min(len(items), start + size)
        has_more = end < len(items)
        return {key: items[start:end],
                "meta": {"has_more": has_more, "after_cursor": str(end), "before_cursor": str(start)},
                "links": {"next": link(**{"page[after]": str(end), "page[before]": None}) if has_more else None,
                          "prev": link(**{"page[before]": str(start), "page[after]": None}) if start else None}}
    per_page = _bounded(args.get("per_page"), 100, 1, 100)
    page = _bounded(args.get("page"), 1, 1, 10 ** 6)
    start = (page - 1) * per_page
    return {key: items[start:start + per_page],
            "next_page": link(page=str(page + 1)) if start + per_page < len(items) else None,
            "previous_page": link(page=str(page - 1)) if page > 1 else None,
            "count": len(items)}
