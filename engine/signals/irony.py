"""Read kind words pointed at a hardship as irony: "really enjoying my Sunday on hold"."""
from dataclasses import dataclass

from engine.signals.tokens import Token

IRONY_REACH = 6   # "fantastic night of waiting 3 hours": the hardship follows within a few words
THANKS_REACH = 2  # "thank you for 7 hours at the terminal": thanks straight for a hardship
HARDSHIP = 0.55   # a complaint cue this strong names something that went wrong, not a hint
IRONY = 0.6
WAITING = "waiting time:"


@dataclass
class Found:
    """A cue with where it stands: tokens[start:end] are the words it was read from."""

    signal: str
    text: str
    weight: float
    start: int
    end: int


def read(found: list[Found], tokens: list[Token], remedies: set, courtesies: set) -> list[Found]:
    """Return the cues with ironic praise turned into sarcasm cues of a complaint.

    Praise is ironic when a hardship (a delay, a waiting time, something broken) follows it in
    the same clause and nothing between them puts it right or sets it apart: "loved the 5 hours
    on hold" is irony, "great job fixing the outage", "lovely crew despite the delay" and
    "deserves a raise for handling the cancellations" are praise. Thanks are courtesy, not an
    evaluation ("thank you, my flight is delayed", "thanks for the update on the delay"):
    they are ironic only when `for` leads straight to the hardship ("thank you for 7 hours
    at the terminal").
    """
    hardships = {}
    for cue in found:
        if cue.signal == "complaint" and _is_hardship(cue) and not _holds(tokens, cue, remedies):
            hardships.setdefault(cue.start, cue)
    if not hardships:
        return found
    read_as = []
    for cue in found:
        target = None
        if cue.signal == "praise" and not _holds(tokens, cue, remedies):
            target = _aimed_at(cue, hardships, tokens, remedies, _reach(cue, tokens, courtesies))
        if target is None:
            read_as.append(cue)
            continue
        words = " ".join(token.text for token in tokens[cue.start:cue.end])
        hardship = " ".join(token.text for token in tokens[target.start:target.end])
        read_as.append(Found("complaint", f"sarcasm: {words} … {hardship}", IRONY,
                             cue.start, target.end))
    return read_as


def _is_hardship(cue: Found) -> bool:
    return cue.weight >= HARDSHIP or cue.text.startswith(WAITING)


def _holds(tokens: list[Token], cue: Found, words: set) -> bool:
    return any(token.text in words for token in tokens[cue.start:cue.end])


def _reach(praise: Found, tokens: list[Token], courtesies: set) -> int:
    """Return how far after kind words a hardship may stand to be what they are aimed at."""
    if not _holds(tokens, praise, courtesies):
        return IRONY_REACH
    thanked_for = praise.end < len(tokens) and tokens[praise.end].text == "for"
    return THANKS_REACH if thanked_for else -1


def _aimed_at(praise: Found, hardships: dict[int, Found], tokens: list[Token], remedies: set,
              reach: int) -> Found | None:
    """Return the hardship the kind words point at, if one follows closely in their clause."""
    for start in range(praise.end, min(praise.end + reach + 1, len(tokens))):
        if tokens[start].clause != tokens[praise.start].clause:
            return None
        if start in hardships:
            return None if _sets_apart(tokens[praise.end:start], remedies) else hardships[start]
    return None


def _sets_apart(gap: list[Token], remedies: set) -> bool:
    """Tell whether the words between name a remedy, or praise an action ("for handling")."""
    return any(token.text in remedies or (
        i and gap[i - 1].text == "for" and token.text.endswith("ing"))
        for i, token in enumerate(gap))
