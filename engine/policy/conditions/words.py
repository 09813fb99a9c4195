"""Keyword and regular-expression tests on the text."""
from functools import lru_cache

from marshmallow import ValidationError, fields, validate

from engine.policy import factpaths, regexes
from engine.policy.conditions.base import (FACT, TERMS, ComputedInput, Condition, FieldInput,
                                           OperatorSchema, StrictBool, TermsInput, all_of,
                                           any_of, show)
from engine.textnorm import normalize

MAX_KEYWORD = 200


@lru_cache(maxsize=8192)
def keyword(text: str) -> str:
    """Normalise a keyword the way the text is normalised, without the padding."""
    return normalize(text).strip()


class Keyword(fields.String):
    """A word or phrase with at least one letter or digit."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_KEYWORD:
            raise ValidationError(f"keep keywords under {MAX_KEYWORD} characters")
        if not keyword(text):
            raise ValidationError(f"`{text}` has no letter or digit to match")
        return text


def _keywords(description: str):
    return fields.List(Keyword(), validate=validate.Length(min=1),
                       metadata={"description": description})


class Pattern(fields.String):
    """A regular expression in Python `re` syntax."""

    def _deserialize(self, value, attr, data, **kwargs):
        pattern = super()._deserialize(value, attr, data, **kwargs)
        wrong = regexes.problem(pattern)
        if wrong:
            raise ValidationError(wrong)
        return pattern


class Patterns(fields.Field):
    """One pattern or a list of them; any one matching is enough."""

    def _deserialize(self, value, attr, data, **kwargs):
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ValidationError("give a regular expression or a list of them")
        return [Pattern().deserialize(item) for item in items]


class TextParams(OperatorSchema):
    contains_any = _keywords("the text holds at least one of these words or phrases")
    contains_all = _keywords("the text holds every one of these words and phrases")
    matches = Patterns()
    exists = StrictBool(metadata={"description": "true: the event has text; false: it has none"})


class TextCondition(Condition):
    """Whole words and phrases in the text (ignoring case and accents), or regular expressions."""

    key = "text"
    Params = TextParams
    example = 'text: {contains_any: [refund, broken, "doesn\'t work"]}'

    def shorthand(self, raw):
        if isinstance(raw, (str, list)):
            return {"contains_any": raw if isinstance(raw, list) else [raw]}
        return raw

    def inputs(self, params: dict) -> list:
        words = tuple(keyword(k) for op in ("contains_any", "contains_all")
                      for k in params.get(op, ()))
        needed = [TermsInput(words)] if words else []
        needed += [ComputedInput(regexes.slot(p), _matcher(p)) for p in params.get("matches", ())]
        return needed + ([FieldInput("text", "string")] if "exists" in params else [])

    def label(self, params: dict) -> str:
        parts = [f"contains any of {show(params['contains_any'])}" if "contains_any" in params else "",
                 f"contains all of {show(params['contains_all'])}" if "contains_all" in params else "",
                 f"matches {_slashed(params['matches'])}" if "matches" in params else "",
                 ("is set" if params["exists"] else "is missing") if "exists" in params else ""]
        return "text " + ", ".join(p for p in parts if p)

    def test(self, fact: dict, params: dict) -> bool:
        return self.evaluate(fact, params)[0]

    def evaluate(self, fact: dict, params: dict) -> tuple[bool, str]:
        text = factpaths.text_norm(fact)
        results = []
        if "contains_any" in params:
            found = [k for k in params["contains_any"] if f" {keyword(k)} " in text]
            results.append((bool(found), f"text contains {_quoted(found)}" if found else
                            f"text contains none of {show(params['contains_any'])}"))
        if "contains_all" in params:
            lacking = [k for k in params["contains_all"] if f" {keyword(k)} " not in text]
            results.append((not lacking, f"text lacks {_quoted(lacking)}" if lacking else
                            f"text contains all of {show(params['contains_all'])}"))
        if "matches" in params:
            results.append(_search_all(params["matches"], fact.get("text")))
        if "exists" in params:
            present = isinstance(fact.get("text"), str)
            results.append((present == params["exists"],
                            "text is set" if present else "text is missing"))
        passed = all(ok for ok, _ in results)
        return passed, "; ".join(why for ok, why in results if ok or not passed)

    def compile(self, params: dict, negate: bool = False) -> dict:
        # durable_rules' regex engine loses matches (".* w0 .*" fails on " w0 w1 ") and has no
        # negated match, so keywords are compared for equality with the text's word sequences.
        parts = []
        if "contains_any" in params:
            words = [keyword(k) for k in params["contains_any"]]
            if negate:
                parts.append({"$iall": {TERMS: all_of([{"$neq": {"$i": w}} for w in words])}})
            else:
                parts.append({"$iany": {TERMS: any_of([{"$i": w} for w in words])}})
        if "contains_all" in params:
            words = [keyword(k) for k in params["contains_all"]]
            if negate:
                parts.append(any_of([{"$iall": {TERMS: {"$neq": {"$i": w}}}} for w in words]))
            else:
                parts.append(all_of([{"$iany": {TERMS: {"$i": w}}} for w in words]))
        if "matches" in params:
            slots = [f"{FACT}.{regexes.slot(p)}" for p in params["matches"]]
            if negate:
                parts.append(all_of([{slot: False} for slot in slots]))
            else:
                parts.append(any_of([{slot: True} for slot in slots]))
        if "exists" in params:
            parts.append({"$ex" if params["exists"] != negate else "$nex": {self.durable: 1}})
        return any_of(parts) if negate else all_of(parts)


def _quoted(words: list[str]) -> str:
    return ", ".join(f'"{w}"' for w in words)


def _slashed(patterns: list[str]) -> str:
    return " or ".join(f"/{p}/" for p in patterns)


def _matcher(pattern: str):
    def matched(fact: dict) -> bool:
        return regexes.search(pattern, fact.get("text")).matched
    return matched


def _search_all(patterns: list[str], text) -> tuple[bool, str]:
    """Return (any matched, why) for the `matches` operator."""
    outcomes = [(p, regexes.search(p, text)) for p in patterns]
    for pattern, outcome in outcomes:
        if outcome.matched:
            return True, f'text matches /{pattern}/ ("{outcome.found[:60]}")'
    slow = [p for p, outcome in outcomes if outcome.timed_out]
    gave_up = f" (/{slow[0]}/ gave up: too slow on this text)" if slow else ""
    return False, f"text matches none of {_slashed(patterns)}{gave_up}"
