"""Tell a post's language from its script and its most common words, with no model to download."""
import re

from engine.signals.tokens import Token

UNDETERMINED = "und"
# Scripts that mostly belong to one language; Latin-script languages are told by their words.
_SCRIPTS = (
    ("ru", ((0x0400, 0x04FF),)), ("el", ((0x0370, 0x03FF),)), ("ar", ((0x0600, 0x06FF),)),
    ("he", ((0x0590, 0x05FF),)), ("hi", ((0x0900, 0x097F),)), ("th", ((0x0E00, 0x0E7F),)),
    ("ko", ((0xAC00, 0xD7AF), (0x1100, 0x11FF))), ("ja", ((0x3040, 0x30FF),)),
    ("zh", ((0x4E00, 0x9FFF),)),
)
_REFINED = {"ru": ("uk", "іїєґ"), "ar": ("fa", "پچژگ")}
# Handles, hashtags and links are names, not words of the post's language.
_NAMES = re.compile(r"[@#]\w+|(?:https?://|www\.)\S+")


def detect(text: str, tokens: list[Token], stopwords: dict[str, set]) -> str:
    """Return an ISO 639 code, or "und" when the words give no clear answer."""
    script = _script(text)
    if script is not None:
        return script
    hits = {code: sum(token.text in words for token in tokens) for code, words in stopwords.items()}
    ranked = sorted(hits.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return UNDETERMINED
    return ranked[0][0]


def _script(text: str) -> str | None:
    """Return the language of a non-Latin script that holds most of the letters, if any."""
    if text.isascii():
        return None
    counts, latin = {}, 0
    for ch in _NAMES.sub(" ", text):
        if not ch.isalpha():
            continue
        point = ord(ch)
        if point < 0x0250:
            latin += 1
            continue
        for code, ranges in _SCRIPTS:
            if any(low <= point <= high for low, high in ranges):
                counts[code] = counts.get(code, 0) + 1
                break
    if not counts:
        return None
    code, count = max(counts.items(), key=lambda item: item[1])
    if count <= latin:
        return None
    if "ja" in counts and code == "zh":
        return "ja"  # Japanese mixes kanji with kana; Chinese has no kana
    refined, marks = _REFINED.get(code, (None, ""))
    return refined if refined and any(mark in text for mark in marks) else code
