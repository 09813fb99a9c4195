"""Parse lexicon phrases: words, `refund*`, `*`, `{number}`, `^`, `#fail` and emoji."""
import re
from dataclasses import dataclass

from engine.signals.tokens import DRAWN_OUT, fold, tokenize

MAX_STEPS = 8
MIN_PREFIX = 3
_VARIATION_SELECTOR = "\ufe0f"
_TAG_BODY = re.compile(r"^\*?[^\W_]+\*?$")


class PhraseError(ValueError):
    """A phrase the matcher cannot use, with the reason in plain words."""


@dataclass(frozen=True)
class Phrase:
    """A parsed phrase: `kind` is words, hashtag or symbol; `steps` drive the word matcher."""

    key: str
    kind: str
    steps: tuple = ()
    anchored: bool = False

    @property
    def is_symbol(self) -> bool:
        """Tell whether the phrase is language-neutral (emoji, emoticon, hashtag)."""
        return self.kind != "words"


def strip_variation(text: str) -> str:
    """Drop emoji variation selectors so "❤️" and "❤" are one symbol."""
    return text.replace(_VARIATION_SELECTOR, "")


def fold_word(text: str) -> str:
    """Fold one word of a word list, refusing phrases where a single word is needed."""
    _refuse_drawn_out(text)
    tokens, _, _ = tokenize(text)
    if len(tokens) != 1:
        raise PhraseError("write one word per entry")
    return tokens[0].text


def parse(text: str) -> Phrase:
    """Turn a phrase as written in a lexicon file into its matching steps."""
    text = text.strip()
    if _is_symbol(text) and not text.startswith("#"):
        return Phrase(strip_variation(text), "symbol")
    _refuse_drawn_out(text)
    if text.startswith("#"):
        return _hashtag(text)
    pieces = text.split()
    anchored = pieces[0] == "^"
    steps = []
    for piece in pieces[anchored:]:
        steps.extend(_steps(piece))
    if not steps:
        raise PhraseError("the phrase has no word to match")
    if steps[0][0] == "any" or steps[-1][0] == "any":
        raise PhraseError("`*` stands for one word between others; it cannot start or end a phrase")
    if len(steps) > MAX_STEPS:
        raise PhraseError(f"keep phrases to {MAX_STEPS} words or fewer")
    key = ("^ " if anchored else "") + " ".join(_show(step) for step in steps)
    return Phrase(key, "words", tuple(steps), anchored)


def _refuse_drawn_out(text: str) -> None:
    """Refuse a letter three times running, which posts are read with once ("sooo" is "so")."""
    if DRAWN_OUT.search(text.casefold()):
        read_as = DRAWN_OUT.sub(r"\1", text.casefold())
        raise PhraseError("a letter three times running is read once, as in drawn-out words "
                          f"(\"sooo\" is \"so\"): write `{read_as}`, which is what it would match")


def _is_symbol(text: str) -> bool:
    """Tell emoji and emoticons (`:(`, `:D`, `<3`) from words: they are matched as written."""
    if re.search(r"\s", text):
        return False
    return not re.search(r"[^\W_]", text) or bool(re.search(r"[:;=<>]", text))


def _steps(piece: str) -> list[tuple[str, str]]:
    if piece == "*":
        return [("any", "")]
    if piece == "{number}":
        return [("number", "")]
    if piece.startswith("{"):
        raise PhraseError(f"unknown placeholder `{piece}`; the one placeholder is `{{number}}`")
    if piece.endswith("*"):
        stem = fold_word(piece[:-1])
        if len(stem) < MIN_PREFIX:
            raise PhraseError(f"a word ending in `*` needs at least {MIN_PREFIX} letters before it")
        return [("prefix", stem)]
    tokens, tags, _ = tokenize(piece)
    if tags or not tokens:
        raise PhraseError(f"`{piece}` is not a word; hashtags and emoji go in phrases of their own")
    return [("word", token.text) for token in tokens]


def _show(step: tuple[str, str]) -> str:
    kind, value = step
    return {"any": "*", "number": "{number}", "prefix": f"{value}*"}.get(kind, value)


def _hashtag(text: str) -> Phrase:
    body = text[1:]
    if not _TAG_BODY.match(body) or not body.strip("*"):
        raise PhraseError("a hashtag phrase is `#word`, `#word*` (starts with) or `#*word` (ends with)")
    mode = "suffix" if body.startswith("*") else "prefix" if body.endswith("*") else "exact"
    return Phrase("#" + body.casefold(), "hashtag", ((mode, fold(body.strip("*"))),))
