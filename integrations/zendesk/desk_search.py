"""Zendesk's search syntax, as much as Goodwill needs: `type:ticket external_id:X`, `type:user email:Y`.

Supported: `key:value`, `key<value`, `key>value` (and `<=`, `>=`) on status, priority and dates,
quoted values (`subject:"late parcel"`), `-term` negation, and free text.
"""
import re

_TERM = re.compile(r'(-?)(?:(\w+)(:|<=|>=|<|>))?(?:"([^"]*)"|(\S+))')
_RANKS = {"status": ("new", "open", "pending", "hold", "solved", "closed"),
          "priority": ("low", "normal", "high", "urgent")}
_DATES = {"created": "created_at", "updated": "updated_at"}
_TICKET_TEXT = {"subject": "subject", "description": "description", "ticket_type": "type",
                "external_id": "external_id"}
_USER_TEXT = {"name": "name", "email": "email", "external_id": "external_id", "role": "role",
              "phone": "phone", "notes": "notes", "details": "details"}
_EXACT = ("external_id", "email", "role", "ticket_type")


def parse(query):
    """Return the query's terms as (negated, key, operator, value) tuples; key is None for free text."""
    terms = []
    for negated, key, operator, quoted, bare in _TERM.findall(query or ""):
        terms.append((bool(negated), key.lower() or None, operator or None, bare or quoted))
    return terms


def wanted_types(terms):
    """Return the result types the query asks for (`type:ticket`, `type:user`), default both."""
    types = {value.lower() for negated, key, _, value in terms if key == "type" and not negated}
    return types or {"ticket", "user"}


def _compare(field, operator, actual, expected):
    if actual is None:
        return False
    ranks = _RANKS.get(field)
    if ranks and actual in ranks and expected.lower() in ranks:
        actual, expected = ranks.index(actual), ranks.index(expected.lower())
    else:
        actual, expected = str(actual).casefold(), expected.casefold()
    if operator == ":":
        return actual == expected
    if operator in ("<", ">"):
        return actual < expected if operator == "<" else actual > expected
    return actual <= expected if operator == "<=" else actual >= expected


def _contains(texts, value):
    needle = value.casefold()
    return any(needle in str(text).casefold() for text in texts if text is not None)


def _check(terms, free_text, field_matches):
    for negated, key, operator, value in terms:
        if key == "type":
            continue
        found = _contains(free_text, value) if key is None else field_matches(key, operator, value)
        if found == negated:
            return False
    return True


def ticket_matches(terms, ticket, comments, users, groups):
    """Tell whether a ticket satisfies every term."""
    free_text = [ticket["subject"], ticket["description"], " ".join(ticket["tags"])] + [c["body"] for c in comments]

    def field_matches(key, operator, value):
        if key in _RANKS:
            return _compare(key, operator, ticket[key], value)
        if key in _DATES:
            return _compare(key, operator, ticket[_DATES[key]][:len(value)], value)
        if key in ("tags", "tag"):
            return value.lower() in ticket["tags"]
        if key in ("requester", "assignee", "submitter"):
            person = users.get(ticket[f"{key}_id"])
            return person is not None and value.casefold() in (str(person["id"]), str(person["email"]).casefold())
        if key == "group":
            group = groups.get(ticket["group_id"])
            return group is not None and value.casefold() in (str(group["id"]), group["name"].casefold())
        if key in _TICKET_TEXT:
            actual = ticket[_TICKET_TEXT[key]]
            return _compare(key, ":", actual, value) if key in _EXACT else _contains([actual], value)
        return False  # a field the stand-in does not know matches nothing
    return _check(terms, free_text, field_matches)


def user_matches(terms, user, identities):
    """Tell whether a user satisfies every term."""
    free_text = [user["name"], user["email"], user["external_id"], user["phone"]] + [i["value"] for i in identities]

    def field_matches(key, operator, value):
        if key in ("tags", "tag"):
            return value.lower() in user["tags"]
        if key in _DATES:
            return _compare(key, operator, user[_DATES[key]][:len(value)], value)
        if key in _USER_TEXT:
            actual = user[_USER_TEXT[key]]
            return _compare(key, ":", actual, value) if key in _EXACT else _contains([actual], value)
        return False  # a field the stand-in does not know matches nothing
    return _check(terms, free_text, field_matches)


def sort_results(results, sort_by, sort_order):
    """Order results by created_at, updated_at, priority, status or ticket_type; else tickets, users, by id."""
    field = {"ticket_type": "type"}.get(sort_by, sort_by)
    if field not in ("created_at", "updated_at", "priority", "status", "type"):
        return sorted(results, key=lambda r: (r["result_type"], r["id"]))

    def key(result):
        value = result.get(field)
        ranks = _RANKS.get(field)
        return (ranks.index(value) if ranks and value in ranks else -1, str(value or ""), result["id"])
    return sorted(results, key=key, reverse=sort_order != "asc")
