"""`zendesk.balance`: the customer's loyalty points on their Zendesk user, once the event's credits ran."""
from marshmallow import Schema
from sqlalchemy import func, select

from engine import customers
from engine.actions.base import ActionContext, ActionFailed, ActionType
from engine.actions.registry import register
from engine.actions.zendesk_ticket import BALANCE_FIELD, desk_service
from engine.db import Action

UNFINISHED = ("pending", "retrying", "running")
# A credit of the same event usually finishes within a second; the outbox's backoff grows from here.
CREDIT_WAIT_SECONDS = 1.0


class BalanceParams(Schema):
    pass


@register
class ZendeskBalance(ActionType):
    """Show the customer's points on their Zendesk user (`goodwill_points`) after this event's credits."""

    name = "zendesk.balance"
    Params = BalanceParams
    example = "zendesk.balance: {}"

    def label(self, params: dict) -> str:
        return f"show the customer's loyalty points on their Zendesk user ({BALANCE_FIELD})"

    def execute(self, ctx: ActionContext, params: dict) -> dict:
        customer_id = ctx.customer.get("id")
        if customer_id is None:
            return {"skipped": "no customer"}
        with ctx.sessionmaker() as session:
            # Actions of one event run in any order: show the balance after this event's credits.
            waiting = session.scalar(select(func.count(Action.id)).where(
                Action.event_id == ctx.inbox_id, Action.type == "loyalty.credit",
                Action.status.in_(UNFINISHED)))
            if waiting:
                raise ActionFailed("waiting for this event's loyalty.credit to finish",
                                   retry_after=CREDIT_WAIT_SECONDS)
            points = customers.balance(session, customer_id)["points"]
        user_id = desk_service(ctx).ensure_requester(ctx.event, email=ctx.customer.get("email"),
                                              user_fields={BALANCE_FIELD: points}, update_existing=True)
        return {"user_id": user_id, BALANCE_FIELD: points}
