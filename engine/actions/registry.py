"""The action registry: built-in actions plus plugins from the `goodwill.actions` entry points."""
from functools import cache
from importlib.metadata import entry_points

from engine.actions.base import ActionType

ACTIONS: dict[str, ActionType] = {}


def register(cls: type[ActionType]) -> type[ActionType]:
    """Add an action class to the registry under its `name`."""
    ACTIONS[cls.name] = cls()
    return cls


@cache
def _load_plugins() -> None:
    for ep in entry_points(group="goodwill.actions"):
        register(ep.load())


def action_types() -> dict[str, ActionType]:
    """Return every registered action: the built-ins, then what installed plugins declare."""
    import engine.actions.builtin  # noqa: F401  (registers the built-ins)
    _load_plugins()
    return ACTIONS
