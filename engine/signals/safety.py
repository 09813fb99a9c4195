"""Accept only detail patterns that cannot take minutes on a long post."""
import re
from re import _constants as sre_constants
from re import _parser as sre_parser  # Python's own regex parser: the one way to see its structure

MAX_PATTERN = 300
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}
_UNBOUNDED = sre_constants.MAXREPEAT


class UnsafePattern(ValueError):
    """A pattern refused, with the reason in plain words."""


def compile_pattern(text: str) -> re.Pattern:
    """Compile a detail pattern, refusing ones that backtrack catastrophically."""
    if len(text) > MAX_PATTERN:
        raise UnsafePattern(f"keep patterns under {MAX_PATTERN} characters")
    try:
        compiled = re.compile(text)
    except re.error as exc:
        raise UnsafePattern(f"not a valid regular expression: {exc}") from None
    if compiled.groups and "value" not in compiled.groupindex:
        raise UnsafePattern("name the part to keep `(?P<value>...)`, or use no groups "
                            "(plain `(...)` groups: write `(?:...)`)")
    if _nested(sre_parser.parse(text), inside_unbounded=False):
        raise UnsafePattern("a part repeated without limit (`+`, `*`, `{2,}`) holds another "
                            "repeat or a choice `|`, which can take minutes on a long post; "
                            "repeat a single character class, or give the outer repeat a limit")
    return compiled


def _nested(pattern, inside_unbounded: bool) -> bool:
    """Tell whether an unbounded repeat contains a variable repeat or an alternation."""
    for op, arg in pattern:
        if op in _REPEATS:
            low, high, body = arg
            if inside_unbounded and low != high:
                return True
            if _nested(body, inside_unbounded or high == _UNBOUNDED):
                return True
        elif op is sre_constants.BRANCH:
            if inside_unbounded or any(_nested(p, False) for p in arg[1]):
                return True
        elif op is sre_constants.SUBPATTERN:
            if _nested(arg[3], inside_unbounded):
                return True
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            if _nested(arg[1], inside_unbounded):
                return True
        elif op is sre_constants.ATOMIC_GROUP and _nested(arg, inside_unbounded):
            return True
    return False
