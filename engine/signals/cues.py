"""Turn a post into cues, each the weight it adds to a signal and the words a lead reads."""
import re
from dataclasses import dataclass, field

from engine.signals import irony
from engine.signals.lexicon import SIGNALS, Language, Waiting
from engine.signals.matcher import Hit, Matcher
from engine.signals.tokens import Token

NEGATION_REACH = 3       # "not really that bad": the negator may sit a few words before
INTENSIFIER_BOOST = 0.3  # an intensifier closes this share of the gap to certainty
CONTRAST_DISCOUNT = 0.5  # "thanks, but ...": what comes before `but` counts half
ASKED_DISCOUNT = 0.5     # "how is this good service?": kind words in a question count half
WAITING_REACH = 4
QUESTION_MARK = 0.6
EXASPERATED = 0.35       # "?!" mixed runs read as disbelief
REPEATED_QUESTION = 0.2
REPEATED_EXCLAMATION = 0.2
CAPITALS = 0.15
_PUNCTUATION_RUN = re.compile(r"[?!]{2,}")
_SHOUTED = re.compile(r"\b[A-Z]{4,}\b")
_URL = re.compile(r"(?:https?://|www\.)\S+")


@dataclass
class Reader:
    """What reading one language needs: its phrases and word lists, merged with `any`."""

    matcher: Matcher
    negators: set
    intensifiers: set
    contrasts: set
    remedies: set
    courtesies: set
    waiting: Waiting
    covered: bool

    @classmethod
    def build(cls, languages: list[Language]) -> "Reader":
        """Merge languages (one and `any`, or all of them for an undetermined text)."""
        ignored = set().union(*(lang.ignored for lang in languages))
        entries = [(phrase, group) for lang in languages for phrase, group in lang.entries
                   if phrase.key not in ignored]
        waiting = Waiting(max((lang.waiting.weight for lang in languages), default=0.0))
        for lang in languages:
            for name in ("words", "quantities", "units", "between", "quick"):
                getattr(waiting, name).update(getattr(lang.waiting, name))
        return cls(Matcher(entries), *(set().union(*(getattr(lang, name) for lang in languages))
                                       for name in ("negators", "intensifiers", "contrasts",
                                                    "remedies", "courtesies")),
                   waiting, any(lang.covered() for lang in languages))


@dataclass
class Cues:
    """The cues found, per signal, as (description, weight); and phrases negation cancelled."""

    by_signal: dict = field(default_factory=lambda: {s: {} for s in SIGNALS})
    negated: list = field(default_factory=list)

    def add(self, signal: str, cue: str, weight: float) -> None:
        """Record a cue; the same description twice counts once, at its larger weight."""
        found = self.by_signal[signal]
        found[cue] = max(weight, found.get(cue, 0.0))


def read(text: str, tokens: list[Token], tags: list[str], asked: set[int], reader: Reader) -> Cues:
    """Collect every cue of a post."""
    cues = Cues()
    contrasted = _contrast_scope(tokens, reader.contrasts)
    hits = reader.matcher.words(tokens)
    # "couldn't be more helpful", "never had a problem": a negator inside words of praise is
    # part of the praise and does not reach the words after it.
    praising = {i for hit in hits if any(group.signal == "praise" for _, group in hit.entries)
                for i in range(hit.start, hit.end)}
    negators = [_negator(tokens, hit.start, reader, praising) for hit in hits]
    negating = set(negators)
    found = []
    for hit, negator in zip(hits, negators):
        if hit.end - hit.start == 1 and hit.start in negating:
            continue  # a negator says what it says through the phrase it negates
        found += _phrase(cues, hit, tokens, negator, before_contrast=contrasted(hit),
                         in_question=tokens[hit.start].sentence in asked, reader=reader)
    found += _waiting(tokens, reader.waiting)
    for cue in irony.read(found, tokens, reader.remedies | reader.contrasts, reader.courtesies):
        cues.add(cue.signal, cue.text, cue.weight)
    for hit in reader.matcher.hashtags(tags) + reader.matcher.symbols_in(text):
        label = "hashtag" if hit.kind == "hashtag" else "emoji" if not hit.shown.isascii() else "emoticon"
        for _, group in hit.entries:
            if group.negation == "required":
                continue  # a hashtag or an emoji is never negated
            cues.add(group.signal, f"{group.cue if group.cue != 'phrase' else label}: {hit.shown}",
                     group.weight)
    _punctuation(cues, _URL.sub(" ", text))
    if any(cue.startswith("sarcasm:") for cue in cues.by_signal["complaint"]):
        # Once a post is ironic, its kind words are part of the irony ("This is awesome. #sarcasm").
        cues.negated.extend(f"ironic {cue}" for cue in cues.by_signal["praise"])
        cues.by_signal["praise"] = {}
    return cues


def _contrast_scope(tokens: list[Token], contrasts: set):
    """Return a test: does a `but` follow this phrase in its sentence, or open a later one?"""
    # "Breakfast was outstanding. Room a bit small but we'd come back": the `but` weighs the
    # small room against coming back, not against the breakfast. "Thanks. But my bag is
    # still missing": a sentence opening with `but` answers everything before it.
    last_in_sentence, last_opening = {}, -1
    for i, token in enumerate(tokens):
        if token.text in contrasts:
            last_in_sentence[token.sentence] = i
            if i == 0 or tokens[i - 1].sentence != token.sentence:
                last_opening = token.sentence

    def contrasted(hit: Hit) -> bool:
        sentence = tokens[hit.start].sentence
        return hit.end <= last_in_sentence.get(sentence, -1) or sentence < last_opening
    return contrasted


def _phrase(cues: Cues, hit: Hit, tokens: list[Token], negator: int | None, before_contrast: bool,
            in_question: bool, reader: Reader) -> list[irony.Found]:
    """Return what a phrase counts for; note it in `cues.negated` when a negator cancels it."""
    found = []
    boosted = hit.start > 0 and tokens[hit.start - 1].text in reader.intensifiers \
        and tokens[hit.start - 1].clause == tokens[hit.start].clause
    first = negator if negator is not None else hit.start - 1 if boosted else hit.start
    shown = " ".join(t.text for t in tokens[first:hit.end])
    for group in {id(g): g for _, g in hit.entries}.values():
        if group.negation == "flips" and negator is not None:
            if shown not in cues.negated:
                cues.negated.append(shown)
            continue
        if group.negation == "required" and negator is None:
            continue
        weight = group.weight + (1 - group.weight) * INTENSIFIER_BOOST if boosted else group.weight
        suffix = ""
        if before_contrast and group.signal in ("complaint", "praise"):
            weight *= CONTRAST_DISCOUNT
            suffix = " (before a `but`)"
        elif in_question and group.signal == "praise":
            weight *= ASKED_DISCOUNT
            suffix = " (in a question)"
        found.append(irony.Found(group.signal, f"{group.cue}: {shown}{suffix}", weight,
                                 first, hit.end))
    return found


def _negator(tokens: list[Token], start: int, reader: Reader, praising: set) -> int | None:
    """Return where a negator stands shortly before the phrase, in the same clause."""
    for i in range(start - 1, max(start - 1 - NEGATION_REACH, -1), -1):
        if tokens[i].clause != tokens[start].clause or i in praising:
            return None
        if tokens[i].text in reader.negators:
            return i
    return None


def _waiting(tokens: list[Token], waiting: Waiting) -> list[irony.Found]:
    """Find "45 minute delay", "on hold for 2 hours": a duration next to a waiting word."""
    found = []
    if not waiting.weight:
        return found
    for i, token in enumerate(tokens[1:], start=1):
        at = i - 2 if tokens[i - 1].text in waiting.between and i >= 2 else i - 1
        quantity = tokens[at]
        if token.text not in waiting.units or not (
                quantity.kind == "number" or quantity.text in waiting.quantities):
            continue
        if at and tokens[at - 1].text in waiting.quick:
            continue  # "sorted in ten minutes": how fast, not how long
        near = tokens[max(at - WAITING_REACH, 0): i + 1 + WAITING_REACH]
        # "6 hours, no agent": a sentence that opens with a duration tells how long it has been.
        opens = at == 0 or tokens[at - 1].sentence != token.sentence
        if opens or any(t.text in waiting.words and t.sentence == token.sentence for t in near):
            shown = " ".join(t.text for t in tokens[at:i + 1])
            found.append(irony.Found("complaint", f"waiting time: {shown}", waiting.weight, at, i + 1))
    return found


def _punctuation(cues: Cues, text: str) -> None:
    """Question marks ask; "?!" and "??" read as disbelief; capitals and "!!" raise the voice."""
    if "?" in text:
        cues.add("question", "punctuation: ?", QUESTION_MARK)
    for run in dict.fromkeys(m.group()[:6] for m in _PUNCTUATION_RUN.finditer(text)):
        if "?" in run and "!" in run:
            cues.add("complaint", f"punctuation: {run}", EXASPERATED)
        elif "?" in run:
            cues.add("complaint", f"punctuation: {run}", REPEATED_QUESTION)
        else:
            cues.add("urgency", f"punctuation: {run}", REPEATED_EXCLAMATION)
    shouted = _SHOUTED.search(text)
    if shouted and cues.by_signal["complaint"]:
        cues.add("complaint", f"capitals: {shouted.group()}", CAPITALS)
        cues.add("urgency", f"capitals: {shouted.group()}", CAPITALS)
