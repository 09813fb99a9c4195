"""Text normalised for whole-word, case- and accent-insensitive matching."""
import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+|_+", re.UNICODE)
_HASHTAG = re.compile(r"(?<![\w#&])#(\w*[^\W\d_]\w*)")
_MENTION = re.compile(r"(?<![\w@])@(\w(?:[\w.]*\w)?)")


def fold(text: str) -> str:
    """Fold case and strip accents: "Café" -> "cafe"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def normalize(text: str | None) -> str:
    """Fold case and accents, turn every run of non-letters/digits into one space, pad with spaces."""
    if not text:
        return " "
    return " " + " ".join(_NON_WORD.sub(" ", fold(text)).split()) + " "


def words(text: str | None) -> list[str]:
    """Split text into normalised words."""
    return normalize(text).split()


def tag(word: str) -> str:
    """Normalise a hashtag, a handle or a label for comparison: "#Café" -> "cafe"."""
    return fold(word.strip().lstrip("#@"))


def hashtags(text: str | None) -> list[str]:
    """Return the text's hashtags, normalised, in order, each once."""
    return list(dict.fromkeys(tag(h) for h in _HASHTAG.findall(text or "")))


def mentions(text: str | None) -> list[str]:
    """Return the accounts the text mentions, normalised, in order, each once."""
    return list(dict.fromkeys(tag(m) for m in _MENTION.findall(text or "")))
