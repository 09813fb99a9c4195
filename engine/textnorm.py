"""Text normalised for whole-word, case- and accent-insensitive matching."""
import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+|_+", re.UNICODE)


def normalize(text: str | None) -> str:
    """Fold case and accents, turn every run of non-letters/digits into one space, pad with spaces."""
    if not text:
        return " "
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " " + " ".join(_NON_WORD.sub(" ", bare).split()) + " "


def words(text: str | None) -> list[str]:
    """Split text into normalised words."""
    return normalize(text).split()
