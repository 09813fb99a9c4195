"""The action registry: built-in actions plus plugins from the `goodwill.actions` entry points."""
from importlib.metadata import entry_points

from engine.actions.base import ActionType

ACTIONS: dict[str, ActionType] = {}


def register(cls: type[ActionType]) -> type[ActionType]:
    """Add an action class to the registry under its `name`."""
    ACTIONS[cls.name] = cls()
    return cls


def load_plugins() -> None:
    """Register actions that installed plugins declare."""
    for ep in entry_points(group="goodwill.actions"):
        register(ep.load())


def action_types() -> dict[str, ActionType]:
    """Return every registered action, built-ins first loaded."""
    import engine.actions.builtin  # noqa: F401  (registers the built-ins)
    return ACTIONS
