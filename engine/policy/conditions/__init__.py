"""The condition registry: built-in conditions, generic field paths, and plugins."""
# A plugin is a `Condition` subclass published under the `goodwill.conditions` entry point
# group; its `key` is the name policies use in `when`.
from importlib.metadata import entry_points

from engine.policy import factpaths
from engine.policy.conditions.base import Condition
from engine.policy.conditions.builtin import BUILTIN, BY_TYPE, HistoryCondition

_NAMED: dict[str, type[Condition]] = {cls.key: cls for cls in BUILTIN}
_plugins_loaded = False


def register(cls: type[Condition]) -> type[Condition]:
    """Add a condition class under its `key`."""
    _NAMED[cls.key] = cls
    return cls


def _load_plugins() -> None:
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        for ep in entry_points(group="goodwill.conditions"):
            register(ep.load())


def resolve(key: str) -> Condition | None:
    """Return the condition a `when` key names, or None when nothing answers to it."""
    _load_plugins()
    if key in _NAMED:
        return _NAMED[key]()
    if key.startswith("history.") and factpaths.field_type(key) == "integer":
        return HistoryCondition(key)
    kind = factpaths.field_type(key)
    if kind in BY_TYPE:
        return BY_TYPE[kind](key)
    return None


def known_keys() -> list[str]:
    """Return every name worth suggesting for a misspelt condition."""
    _load_plugins()
    return sorted(set(_NAMED) | set(factpaths.example_paths()) | {"all", "any", "not"})
