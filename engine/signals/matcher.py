"""Find lexicon phrases in a post: longest match first, each word used once."""
import re
from dataclasses import dataclass, field

from engine.signals.phrases import MIN_PREFIX, Phrase, strip_variation
from engine.signals.tokens import Token

_URL = re.compile(r"(?:https?://|www\.)\S+")


@dataclass
class Hit:
    """One phrase found: what it counts for, the words as written, and where."""

    entries: list
    shown: str
    kind: str
    start: int = 0
    end: int = 0


@dataclass
class _Node:
    words: dict = field(default_factory=dict)
    prefixes: dict = field(default_factory=dict)
    any: "_Node | None" = None
    number: "_Node | None" = None
    entries: list = field(default_factory=list)

    def child(self, kind: str, value: str) -> "_Node":
        if kind == "word":
            return self.words.setdefault(value, _Node())
        if kind == "prefix":
            # Bucketed by the first letters so a word is only tested against likely prefixes.
            bucket = self.prefixes.setdefault(value[:MIN_PREFIX], {})
            return bucket.setdefault(value, _Node())
        if getattr(self, kind) is None:
            setattr(self, kind, _Node())
        return getattr(self, kind)

    def step(self, token: Token) -> list["_Node"]:
        found = [self.words[token.text]] if token.text in self.words else []
        for stem, node in self.prefixes.get(token.text[:MIN_PREFIX], {}).items():
            if token.text.startswith(stem):
                found.append(node)
        if self.any is not None:
            found.append(self.any)
        if self.number is not None and token.kind == "number":
            found.append(self.number)
        return found


class Matcher:
    """Every phrase of one language (plus the language-neutral ones), ready to match."""

    def __init__(self, entries: list[tuple[Phrase, object]]):
        self.root, self.anchored = _Node(), _Node()
        self.tags: dict[tuple[str, str], list] = {}
        self.symbols: dict[str, list] = {}
        for phrase, group in entries:
            if phrase.kind == "symbol":
                self.symbols.setdefault(phrase.key, []).append((phrase, group))
            elif phrase.kind == "hashtag":
                self.tags.setdefault(phrase.steps[0], []).append((phrase, group))
            else:
                self._add_words(phrase, group)
        self.partial_tags = [(key, found) for key, found in self.tags.items() if key[0] != "exact"]
        ordered = sorted(self.symbols, key=len, reverse=True)
        self._symbol_re = re.compile("|".join(_symbol_pattern(s) for s in ordered)) if ordered else None

    def _add_words(self, phrase: Phrase, group) -> None:
        node = self.anchored if phrase.anchored else self.root
        for kind, value in phrase.steps:
            node = node.child(kind, value)
        node.entries.append((phrase, group))
        # A hashtag spelling the phrase without spaces (#neveragain) counts like the phrase.
        if not phrase.anchored and all(kind in ("word", "prefix") for kind, _ in phrase.steps):
            mode = "prefix" if phrase.steps[-1][0] == "prefix" else "exact"
            squashed = "".join(value for _, value in phrase.steps)
            self.tags.setdefault((mode, squashed), []).append((phrase, group))

    def words(self, tokens: list[Token]) -> list[Hit]:
        """Return the phrases in the words, taking the longest at each place, left to right."""
        hits, i = [], 0
        while i < len(tokens):
            starts = tokens[i].clause != tokens[i - 1].clause if i else True
            best = self._longest(tokens, i, [self.root] + ([self.anchored] if starts else []))
            if best is None:
                i += 1
                continue
            end, entries = best
            hits.append(Hit(entries, " ".join(t.text for t in tokens[i:end]), "words", i, end))
            i = end
        return hits

    def _longest(self, tokens: list[Token], i: int, states: list[_Node]):
        best, j = None, i
        # Phrases may run over a comma ("great, another delay") but not into the next sentence.
        while states and j < len(tokens) and tokens[j].sentence == tokens[i].sentence:
            states = [nxt for node in states for nxt in node.step(tokens[j])]
            found = [entry for node in states for entry in node.entries]
            if found:
                best = (j + 1, found)
            j += 1
        return best

    def hashtags(self, tags: list[str]) -> list[Hit]:
        """Return the hashtags that match a phrase exactly, by its start or by its end."""
        hits = []
        for tag in dict.fromkeys(tags):
            entries = list(self.tags.get(("exact", tag), ()))
            entries += [entry for (mode, body), found in self.partial_tags
                        if _tag_matches(mode, body, tag) for entry in found]
            if entries:
                hits.append(Hit(entries, "#" + tag, "hashtag"))
        return hits

    def symbols_in(self, text: str) -> list[Hit]:
        """Return the emoji and emoticons found in the text (outside links)."""
        if self._symbol_re is None:
            return []
        found = dict.fromkeys(m.group() for m in self._symbol_re.finditer(
            _URL.sub(" ", strip_variation(text))))
        return [Hit(self.symbols[s], s, "symbol") for s in found]


def _tag_matches(mode: str, body: str, tag: str) -> bool:
    return tag.startswith(body) if mode == "prefix" else tag.endswith(body)


def _symbol_pattern(symbol: str) -> str:
    """Match an emoticon with letters (`:D`) only where no word goes on around it."""
    before = r"(?<!\w)" if symbol[0].isalnum() else ""
    after = r"(?!\w)" if symbol[-1].isalnum() else ""
    return before + re.escape(symbol) + after
