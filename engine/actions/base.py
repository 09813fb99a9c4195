"""What every action is: a parameter schema, a readable label, and an idempotent execute()."""
from dataclasses import dataclass, field
from typing import Any, ClassVar

from marshmallow import Schema


class ActionFailed(Exception):
    """A failure worth retrying (timeout, 5xx, 429); `retry_after` in seconds when known."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentActionError(ActionFailed):
    """A failure no retry can fix (422 RecordInvalid, bad parameters): dead-letter at once."""


@dataclass
class ActionContext:
    """Everything an action may read while it runs; it writes only through its result."""

    action_id: str
    idempotency_key: str
    attempt: int
    policy: str
    policy_version: str
    rule: str
    why: str
    event: dict                      # the SocialEvent (JSON-ready) with `thread` resolved
    fact: dict                       # the enriched event the rules saw
    decisions: list[dict]            # every decision on this event: policy, rule, why
    customer: dict                   # id, name, email, balance, history (as the API shows it)
    settings: Any
    sessionmaker: Any
    services: dict = field(default_factory=dict)  # shared clients, e.g. "desk"
    inbox_id: str = ""                # the event's id in Goodwill (the API's /events/<id>)


class ActionType:
    """One kind of action; subclasses set `name` and `Params` and implement `execute`."""

    name: ClassVar[str]
    Params: ClassVar[type[Schema]]
    template_fields: ClassVar[tuple[str, ...]] = ()
    # A `then` entry using the action (`zendesk.ticket: {priority: high}`), for docs/policies.md.
    example: ClassVar[str]

    def label(self, params: dict) -> str:
        """Say in words what this action will do with these parameters."""
        return f"{self.name} {params}"

    def execute(self, ctx: ActionContext, params: dict) -> dict:
        """Run the side effect once (idempotently) and return its result for the API."""
        raise PermanentActionError(f"{self.name} cannot run here")
