"""Sentiment of a post: VADER's compound score, -1 (angry) to 1 (delighted)."""
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment(text: str | None) -> float:
    """Return VADER's compound score for the text, 0.0 when there is none."""
    if not text:
        return 0.0
    return round(_analyzer().polarity_scores(text)["compound"], 4)
