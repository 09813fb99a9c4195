"""Split a post into folded words, numbers and hashtags, remembering where clauses break."""
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Every alternative advances over a class with no overlap, so scanning stays linear on any input.
_TOKEN = re.compile(
    r"(?P<url>(?:https?://|www\.)\S+)"
    r"|(?P<mention>@\w+)"
    r"|(?P<tag>#\w+)"
    r"|(?P<number>\d+(?:[.,:]\d+)*)"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    r"|(?P<stop>[.!?;:()\"“”…\n]+|\s[-–—]\s)"
    r"|(?P<pause>,)")
_APOSTROPHES = str.maketrans("", "", "'’")
_APOSTROPHE = re.compile("['’]")
# Posts draw words out for effect ("LOOONG", "pleeease", "whyyy"): a letter three times running
# is read once. The rare word spelt that way (German Schifffahrt) folds the same in every post.
DRAWN_OUT = re.compile(r"([^\W\d_])\1{2,}")
# French and Italian elide a short word into the next (l'avion, n'est, qu'il): split those,
# while English contractions (doesn't, can't) stay one word.
_ELIDED = {"qu", "jusqu", "lorsqu", "puisqu", "dell", "all", "dall", "nell", "sull", "un"}


@dataclass(frozen=True)
class Token:
    """One word or number: its folded text, its kind, and its clause and sentence."""

    text: str
    kind: str
    clause: int
    sentence: int


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Fold case, accents, apostrophes and drawn-out letters: "Doesn't" meets "doesnt"."""
    bare = unicodedata.normalize("NFKD", word.translate(_APOSTROPHES))
    folded = "".join(ch for ch in bare if not unicodedata.combining(ch)).casefold()
    return DRAWN_OUT.sub(r"\1", folded)


def tokenize(text: str) -> tuple[list[Token], list[str], set[int]]:
    """Return a text's words and numbers, its hashtags (without `#`) and its asking sentences."""
    tokens, tags, asked = [], [], set()
    clause = sentence = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word":
            tokens.extend(Token(fold(part), kind, clause, sentence)
                          for part in _unelide(match.group()))
        elif kind == "number":
            tokens.append(Token(match.group(), kind, clause, sentence))
        elif kind == "tag":
            tags.append(fold(match.group()[1:]))
        elif kind == "stop":
            if "?" in match.group():
                asked.add(sentence)
            clause, sentence = clause + 1, sentence + 1
        elif kind == "pause":
            clause += 1
    return tokens, tags, asked


def _unelide(word: str) -> list[str]:
    """Split elided articles and pronouns off the word they lean on."""
    parts = _APOSTROPHE.split(word, maxsplit=1)
    if len(parts) == 2 and (len(parts[0]) == 1 or parts[0].casefold() in _ELIDED):
        return [parts[0], *_unelide(parts[1])]
    return [word]
