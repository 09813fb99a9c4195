"""Read a post the way a support lead would: is it a complaint, a question, praise, urgent?

`analyze(text)` returns a dict, attached to the fact as `signals`. Every key is always present
and every value is JSON:

    complaint, question, praise, urgency   float 0..1, 3 decimals: how strong the evidence is
    is_complaint, is_question, is_praise, is_urgent
                                           bool: the score reached FLAG_AT (complaint 0.2,
                                           praise 0.4, question and urgency 0.5)
    language   str: ISO 639 code ("en", "es", "ru", ...), "und" when too little text to tell
    covered    bool: the lexicons have words of that language; when False the scores rest on
               emoji, hashtags and punctuation only, and policies route the post by language
    cues       {"complaint": [str], "question": [...], "praise": [...], "urgency": [...],
                "negated": [str]}: why each score is what it is, strongest first, such as
               "phrase: refund", "negated: not happy", "sarcasm: thanks for nothing",
               "sarcasm: loved … on hold" (kind words aimed at a hardship),
               "waiting time: 45 minute", "hashtag: #fail", "emoji: 😡", "punctuation: ?!",
               "tone: -0.62" (VADER, English only); `negated` lists what did not count
               ("not bad", "ironic phrase: awesome")
    details    {"order_numbers": [str], "booking_refs", "case_numbers", "tracking_numbers",
                "flight_numbers", "emails", "amounts", "phones", "postcodes", "zip_codes"}
               plus any kind a business adds; values as written in the post
    order_number, booking_ref, case_number, tracking_number, flight_number, email, amount,
    phone, postcode, zip_code
                                           str | None: the first of each detail list

A score combines its cues as independent evidence, 1 - (1 - w1)(1 - w2)...; complaint and praise
then pull each other down (a thank-you with a strong complaint is a complaint). The words,
weights and patterns live in `engine/signals/data/*.yaml`; a business adds its own files in the
folder named by GOODWILL_LEXICONS. `mask(text)` hides emails and phone numbers for logs.
"""
import os

from engine.sentiment import sentiment
from engine.settings import LEXICONS_VARIABLE
from engine.signals import details as detail_patterns
from engine.signals.cues import Reader, read
from engine.signals.language import UNDETERMINED, detect
from engine.signals.lexicon import (SIGNALS, Lexicon, LexiconError, LexiconErrors,
                                    cached_lexicon, load_lexicon)
from engine.signals.tokens import tokenize

# Where a score becomes a yes. Measured, not guessed (bench/triage.py): a single weak
# complaint cue with no praise beside it is already a complaint more often than not.
FLAG_AT = {"complaint": 0.2, "question": 0.5, "praise": 0.4, "urgency": 0.5}
# Complaint and praise pull each other down: score * (1 - other) ** TEMPER.
TEMPER = 1.5
# VADER reads English only; its negative tone is one more cue for a complaint.
TONE_LANGUAGES = ("en", UNDETERMINED)
TONE_WEIGHT = 0.5
TONE_CAP = 0.5
FLAGS = {"complaint": "is_complaint", "question": "is_question", "praise": "is_praise",
         "urgency": "is_urgent"}

__all__ = ["FLAG_AT", "LexiconError", "LexiconErrors", "analyze", "default_lexicon", "field_types",
           "load_lexicon", "mask", "validate_lexicons"]


def analyze(text: str | None, lexicon: Lexicon | None = None, tone: float | None = None) -> dict:
    """Return the signals of a post (see the module docstring); `tone`: its VADER score if known."""
    lexicon = default_lexicon() if lexicon is None else lexicon
    text = text or ""
    tokens, tags, asked = tokenize(text)
    stopwords = {code: lang.stopwords for code, lang in lexicon.languages.items() if lang.stopwords}
    language = detect(text, tokens, stopwords)
    reader = _reader(lexicon, language)
    cues = read(text, tokens, tags, asked, reader)
    if language not in TONE_LANGUAGES or not reader.covered:
        tone = 0.0
    elif tone is None:
        tone = sentiment(text)
    if tone < 0:
        cues.add("complaint", f"tone: {tone:+.2f}", min(TONE_CAP, -tone * TONE_WEIGHT))
    raw = {signal: _combine(cues.by_signal[signal].values()) for signal in SIGNALS}
    scores = dict(raw)
    scores["complaint"] = raw["complaint"] * (1 - raw["praise"]) ** TEMPER
    scores["praise"] = raw["praise"] * (1 - raw["complaint"]) ** TEMPER
    found = detail_patterns.extract(text, lexicon.details)
    return {
        **{signal: round(score, 3) for signal, score in scores.items()},
        # Compared as shown: one cue of weight 0.2 combines to 0.19999..., and must still flag.
        **{FLAGS[signal]: round(score, 3) >= FLAG_AT[signal] for signal, score in scores.items()},
        "language": language,
        "covered": reader.covered,
        "cues": {**{signal: _ranked(cues.by_signal[signal]) for signal in SIGNALS},
                 "negated": cues.negated},
        "details": found,
        **{detail_patterns.singular(kind): values[0] if values else None
           for kind, values in found.items()},
    }


def mask(text: str | None, lexicon: Lexicon | None = None) -> str | None:
    """Return the text with emails and phone numbers masked, for logs."""
    if not text:
        return text
    return detail_patterns.mask(text, (default_lexicon() if lexicon is None else lexicon).details)


def field_types(lexicon: Lexicon | None = None) -> dict[str, str]:
    """Return every `signals.*` path a policy may test, with its type as engine.policy names it."""
    lexicon = default_lexicon() if lexicon is None else lexicon
    types = {f"signals.{signal}": "number" for signal in SIGNALS}
    types |= {f"signals.{flag}": "bool" for flag in FLAGS.values()}
    types |= {"signals.language": "string", "signals.covered": "bool"}
    types |= {f"signals.cues.{name}": "labels" for name in (*SIGNALS, "negated")}
    for kind in lexicon.details:
        types[f"signals.details.{kind}"] = "labels"
        types[f"signals.{detail_patterns.singular(kind)}"] = "string"
    return types


def default_lexicon() -> Lexicon:
    """Return the shipped lexicon merged with GOODWILL_LEXICONS, loaded once per folder."""
    # Read the one variable rather than all Settings: this runs for every post.
    return cached_lexicon(os.environ.get(LEXICONS_VARIABLE) or None)


def validate_lexicons(folder=None) -> list[LexiconError]:
    """Return every mistake in the shipped lexicon files plus a folder of a business's own."""
    try:
        load_lexicon(folder)
    except LexiconErrors as exc:
        return exc.errors
    return []


def _reader(lexicon: Lexicon, language: str) -> Reader:
    """Return the reader of a language, built once per lexicon."""
    if language not in lexicon.readers:
        if language == UNDETERMINED:
            # Too little text to tell: a short "gracias!" or "thanks!" still counts.
            chosen = list(lexicon.languages.values())
        else:
            chosen = [lexicon.languages[code] for code in (language, "any")
                      if code in lexicon.languages]
        lexicon.readers[language] = Reader.build(chosen)
    return lexicon.readers[language]


def _combine(weights) -> float:
    """Combine cue weights as independent evidence."""
    doubt = 1.0
    for weight in weights:
        doubt *= 1 - weight
    return 1 - doubt


def _ranked(found: dict[str, float]) -> list[str]:
    """List cue descriptions, strongest first."""
    return [cue for cue, _ in sorted(found.items(), key=lambda item: -item[1])]
