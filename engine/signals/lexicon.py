"""Load the lexicon files (shipped, then a business's own) and refuse mistakes with file:line."""
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.signals import phrases, safety

SIGNALS = ("complaint", "question", "praise", "urgency")
NEGATION = ("flips", "ignored", "required")
WORD_LISTS = ("stopwords", "negators", "intensifiers", "contrasts", "remedies", "courtesies")
FILE_KEYS = ("language", *WORD_LISTS, "waiting", "signals", "details", "ignore")
GROUP_KEYS = ("weight", "phrases", "cue", "negation")
WAITING_KEYS = ("weight", "words", "quantities", "units", "between", "quick")
LANGUAGE_CODE = re.compile(r"^(any|[a-z]{2,3})$")
DETAIL_KIND = re.compile(r"^[a-z][a-z0-9_]*s$")
CUE_LABEL = re.compile(r"^[a-z][a-z -]{0,30}$")
# The first detail of a kind sits beside the scores (`order_numbers` -> `order_number`).
TAKEN_NAMES = {*SIGNALS, "urgent", "language", "covered", "cue", "detail",
               *(f"is_{name}" for name in (*SIGNALS, "urgent"))}


@dataclass
class LexiconError(Exception):
    """A mistake in a lexicon file, said as `file:line: what to fix`."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 1}: {self.message}"


class LexiconErrors(Exception):
    """Every mistake found in the lexicon files, not just the first."""

    def __init__(self, errors: list[LexiconError]):
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


@dataclass(frozen=True)
class Group:
    """Phrases that count for one signal with one weight."""

    signal: str
    weight: float
    cue: str
    negation: str


@dataclass
class Waiting:
    """Words that turn a duration ("45 minutes") into a waiting-time cue.

    `between` may stand between the number and its unit ("10 working days"); a duration right
    after a `quick` word ("sorted in ten minutes", "within an hour") says how fast, not how long.
    """

    weight: float = 0.0
    words: set = field(default_factory=set)
    quantities: set = field(default_factory=set)
    units: set = field(default_factory=set)
    between: set = field(default_factory=set)
    quick: set = field(default_factory=set)


@dataclass
class Language:
    """Everything one language (or `any`) contributes, merged over all files."""

    code: str
    stopwords: set = field(default_factory=set)
    negators: set = field(default_factory=set)
    intensifiers: set = field(default_factory=set)
    contrasts: set = field(default_factory=set)
    remedies: set = field(default_factory=set)
    courtesies: set = field(default_factory=set)
    waiting: Waiting = field(default_factory=Waiting)
    entries: list = field(default_factory=list)
    ignored: set = field(default_factory=set)

    def covered(self) -> bool:
        """Tell whether the language has phrases of its own for the signals."""
        return any(not entry.is_symbol for entry, _ in self.entries)


@dataclass
class Lexicon:
    """Every language, and the detail patterns that apply to all of them."""

    languages: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    readers: dict = field(default_factory=dict)


def shipped_dir() -> Path:
    """Return the lexicon files that ship with the package."""
    return Path(str(resources.files("engine.signals") / "data"))


def load_lexicon(extra: Path | None = None) -> Lexicon:
    """Read the shipped files and, when given, a folder of a business's own over them."""
    if extra is not None and not Path(extra).is_dir():
        raise LexiconErrors([LexiconError(str(extra), None, "lexicon folder not found")])
    lexicon, errors = Lexicon(), []
    for path in sorted(shipped_dir().glob("*.yaml")):
        errors.extend(_read_file(path, lexicon))
    shipped_kinds = list(lexicon.details)
    for path in sorted(Path(extra).glob("*.yaml")) if extra is not None else ():
        errors.extend(_read_file(path, lexicon))
    if errors:
        raise LexiconErrors(errors)
    # A business's own formats are the most specific: they claim their text before ours do.
    order = [kind for kind in lexicon.details if kind not in shipped_kinds] + shipped_kinds
    lexicon.details = {kind: lexicon.details[kind] for kind in order}
    return lexicon


@lru_cache(maxsize=4)
def cached_lexicon(extra: str | None) -> Lexicon:
    """Return the lexicon for a folder of extra files, loading it once per process."""
    return load_lexicon(Path(extra) if extra else None)


class _File:
    """One file being read: its path and the errors found so far."""

    def __init__(self, path: Path):
        self.path, self.errors = str(path), []

    def error(self, node: Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.errors.append(LexiconError(self.path, line, message))

    def mapping(self, node: Node, what: str, allowed) -> dict | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping of `key: value` lines")
            return None
        found = {}
        for key_node, value in node.value:
            key = str(key_node.value)
            if allowed and key not in allowed:
                self.error(key_node, f"unknown key `{key}` in {what}; expected one of "
                           + ", ".join(allowed))
            elif key in found:
                self.error(key_node, f"`{key}` appears twice in {what}")
            else:
                found[key] = value
        return found

    def strings(self, node: Node, what: str) -> list[tuple[str, Node]]:
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what} must be a list (lines starting with `- `)")
            return []
        items = []
        for item in node.value:
            if isinstance(item, ScalarNode) and str(item.value).strip():
                items.append((str(item.value), item))
            else:
                self.error(item, f"each entry of {what} must be a word or phrase")
        return items

    def weight(self, node: Node | None, what: str) -> float | None:
        try:
            value = float(node.value) if isinstance(node, ScalarNode) else None
        except ValueError:
            value = None
        if value is None or not 0 < value <= 1:
            self.error(node, f"{what} must be a number above 0 and at most 1, like 0.6")
            return None
        return value


def _read_file(path: Path, lexicon: Lexicon) -> list[LexiconError]:
    src = _File(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        src.errors.append(LexiconError(src.path, mark.line + 1 if mark else None,
                                       f"not valid YAML: {exc.problem or exc.context}"))
        return src.errors
    top = src.mapping(root, "a lexicon file", FILE_KEYS) if root is not None else None
    if top is None:
        return src.errors or [LexiconError(src.path, 1, "the file is empty")]
    code = str(top["language"].value) if isinstance(top.get("language"), ScalarNode) else None
    if code is None or not LANGUAGE_CODE.match(code):
        src.error(top.get("language", root),
                  "say which language the file is for: `language: en` (a 2-3 letter code) or "
                  "`language: any` for emoji and details that apply to every language")
        return src.errors
    language = lexicon.languages.setdefault(code, Language(code))
    for name in WORD_LISTS:
        if name in top:
            getattr(language, name).update(_words(src, top[name], f"`{name}`"))
    if "waiting" in top:
        _read_waiting(src, top["waiting"], language.waiting)
    if "signals" in top:
        _read_signals(src, top["signals"], language)
    if "ignore" in top:
        for text, item in src.strings(top["ignore"], "`ignore`"):
            try:
                language.ignored.add(phrases.parse(text).key)
            except phrases.PhraseError as exc:
                src.error(item, f"`{text}`: {exc}")
    if "details" in top:
        if code != "any":
            src.error(top["details"], "details apply to every language: put them in a file "
                                      "with `language: any`")
        else:
            _read_details(src, top["details"], lexicon.details)
    return src.errors


def _read_signals(src: _File, node: Node, language: Language) -> None:
    for signal, groups in (src.mapping(node, "`signals`", SIGNALS) or {}).items():
        items = groups.value if isinstance(groups, SequenceNode) else None
        if items is None:
            src.error(groups, f"`{signal}` must be a list of groups, each with `weight` and `phrases`")
            continue
        for item in items:
            _read_group(src, item, signal, language)


def _read_group(src: _File, node: Node, signal: str, language: Language) -> None:
    found = src.mapping(node, f"a `{signal}` group", GROUP_KEYS)
    if found is None:
        return
    if "weight" not in found or "phrases" not in found:
        src.error(node, f"a `{signal}` group needs `weight` and `phrases`")
        return
    weight = src.weight(found["weight"], "`weight`")
    cue = str(found["cue"].value) if "cue" in found else "phrase"
    if not CUE_LABEL.match(cue):
        src.error(found["cue"], "`cue` is a short lower-case label such as `sarcasm`")
    negation = str(found["negation"].value) if "negation" in found else "flips"
    if negation not in NEGATION:
        src.error(found["negation"], "`negation` is one of " + ", ".join(NEGATION))
    if weight is None or not CUE_LABEL.match(cue) or negation not in NEGATION:
        return
    group = Group(signal, weight, cue, negation)
    for text, item in src.strings(found["phrases"], "`phrases`"):
        try:
            language.entries.append((phrases.parse(text), group))
        except phrases.PhraseError as exc:
            src.error(item, f"`{text}`: {exc}")


def _read_waiting(src: _File, node: Node, waiting: Waiting) -> None:
    found = src.mapping(node, "`waiting`", WAITING_KEYS) or {}
    if "weight" in found:
        waiting.weight = src.weight(found["weight"], "`weight`") or waiting.weight
    for name in WAITING_KEYS[1:]:
        if name in found:
            getattr(waiting, name).update(_words(src, found[name], f"`{name}`"))


def _words(src: _File, node: Node, what: str) -> list[str]:
    words = []
    for text, item in src.strings(node, what):
        try:
            words.append(phrases.fold_word(text))
        except phrases.PhraseError as exc:
            src.error(item, f"`{text}` in {what}: {exc}")
    return words


def _read_details(src: _File, node: Node, details: dict) -> None:
    for kind, patterns in (src.mapping(node, "`details`", ()) or {}).items():
        if not DETAIL_KIND.match(kind) or kind[:-1] in TAKEN_NAMES:
            src.error(patterns, f"`{kind}`: name details in lower case and plural, like "
                                "`order_numbers`, and not after a signal")
            continue
        for text, item in src.strings(patterns, f"the patterns of `{kind}`"):
            try:
                details.setdefault(kind, []).append(safety.compile_pattern(text))
            except safety.UnsafePattern as exc:
                src.error(item, f"`{text}`: {exc}")
