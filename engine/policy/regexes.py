"""Regular expressions in policies: Python `re` syntax, checked at load, run with a time limit."""
# Patterns are validated with `re` (the syntax admins know) and run with the `regex` engine,
# which accepts the same syntax and can stop a search: a catastrophic pattern such as
# `(a+)+$` on a long post gives up after TIMEOUT seconds instead of stalling the worker.
import hashlib
import logging
import re
from dataclasses import dataclass
from functools import lru_cache

import regex

log = logging.getLogger("goodwill.policy")

TIMEOUT = 0.05
MAX_PATTERN = 500
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Search:
    """The outcome of one search: matched, the text found, or that it ran out of time."""

    matched: bool
    found: str = ""
    timed_out: bool = False


def problem(pattern: str) -> str | None:
    """Say what is wrong with a pattern, or None when Python's `re` accepts it."""
    if len(pattern) > MAX_PATTERN:
        return f"keep regular expressions under {MAX_PATTERN} characters"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"`{pattern}` is not a valid regular expression: {exc}"
    return None


def slot(pattern: str) -> str:
    """Name the computed fact value that holds whether this pattern matched."""
    return "rx_" + hashlib.sha1(pattern.encode("utf-8")).hexdigest()[:12]


@lru_cache(maxsize=1024)
def _compiled(pattern: str):
    return regex.compile(pattern, regex.V0 | regex.IGNORECASE)


@lru_cache(maxsize=4096)
def search(pattern: str, text: str | None) -> Search:
    """Search the text (case-insensitively) for the pattern within TIMEOUT seconds.

    Cached, so both engines and the explanation of one event see the very same outcome.
    """
    if not isinstance(text, str):
        return Search(False)
    try:
        found = _compiled(pattern).search(text[:MAX_TEXT], timeout=TIMEOUT)
    except TimeoutError:
        log.warning("regular expression /%s/ gave up after %.0f ms on a post of %d characters; "
                    "it counts as not matching", pattern, TIMEOUT * 1000, len(text))
        return Search(False, timed_out=True)
    return Search(True, found.group(0)) if found else Search(False)
