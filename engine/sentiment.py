"""Sentiment of a post: VADER's compound score, -1 (angry) to 1 (delighted)."""
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's time grows with the square of the length: a long post's tone is read from its start.
TONE_CHARS = 1000


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment(text: str | None) -> float:
    """Return VADER's compound score for the text's start, 0.0 when there is none."""
    if not text:
        return 0.0
    return round(_analyzer().polarity_scores(text[:TONE_CHARS])["compound"], 4)
