"""The condition registry: built-in conditions, generic field paths, and plugins."""
# A plugin is a `Condition` subclass published under the `goodwill.conditions` entry point
# group; its `key` is the name policies use in `when`.
from importlib.metadata import entry_points

from engine.policy import factpaths
from engine.policy.conditions.base import Condition
from engine.policy.conditions.builtin import BUILTIN, BY_TYPE, ExtraCondition
from engine.policy.conditions.counts import (BrandHistoryCondition, HistoryCondition,
                                             RateCondition)
from engine.policy.conditions.hours import BusinessHoursCondition
from engine.policy.conditions.tags import (DecidedLabelsCondition, HashtagsCondition,
                                           MentionsCondition)

_NAMED: dict[str, type[Condition]] = {cls.key: cls for cls in (
    *BUILTIN, HashtagsCondition, MentionsCondition, RateCondition, BusinessHoursCondition,
    DecidedLabelsCondition)}
# Conditions on a family of paths, by the path's first step (`history.complaints_30d`); the
# class's `pattern` says the shape, factpaths.field_type checks a path, docs/policies.md lists them.
FAMILIES: dict[str, type[Condition]] = {"history": HistoryCondition,
                                        "brand_history": BrandHistoryCondition,
                                        "extra": ExtraCondition}
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
    kind = factpaths.field_type(key)
    family = FAMILIES.get(key.partition(".")[0])
    found = family if family is not None and family.kind == kind else BY_TYPE.get(kind)
    return found(key) if found is not None else None


def named() -> dict[str, type[Condition]]:
    """Return the conditions registered by name: the built-ins, then the plugins."""
    _load_plugins()
    return dict(_NAMED)


def known_keys() -> list[str]:
    """Return every name worth suggesting for a misspelt condition."""
    _load_plugins()
    return sorted(set(_NAMED) | set(factpaths.example_paths()) | {"all", "any", "not"})
