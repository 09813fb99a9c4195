"""The durable inbox: an accepted event is committed before the receiver answers 202."""
import hashlib

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.db import InboxEvent, WebhookMessage, new_id, utcnow
from engine.enrich import find_thread
from engine.errors import ApiError
from engine.history import brand_key
from engine.schema import dump_event

# Core tables and statements built once: a delivery costs no statement building and no ORM
# bookkeeping. The webhook-id's row shares the event's source and arrival time.
_EVENT_COLUMNS = ("id", "source", "external_id", "platform", "kind", "author_id", "brand", "thread",
                  "occurred_at", "payload", "status", "attempts", "received_at")
STORE_EVENT = insert(InboxEvent.__table__).values(
    {name: bindparam(name, type_=InboxEvent.__table__.c[name].type) for name in _EVENT_COLUMNS})
STORE_DELIVERY = insert(WebhookMessage.__table__).values(
    {name: bindparam(key, type_=WebhookMessage.__table__.c[name].type) for name, key in
     {"id": "message_row_id", "source": "source", "message_id": "message_id",
      "body_sha256": "body_sha256", "received_at": "received_at"}.items()})
STORE_BOTH = STORE_EVENT.add_cte(STORE_DELIVERY.cte("delivery"))


def accept(make_session: sessionmaker, source: str, event: dict,
           message: tuple[str, bytes] | None = None) -> tuple[str, str]:
    """Store an event once per (source, event id); return (inbox id, "accepted" | "duplicate").

    `message` is a signed delivery's (webhook-id, body): recorded in the same commit, so a
    replayed id carrying another body is refused while a platform's retry is a duplicate.
    """
    payload = dump_event(event)
    digest = hashlib.sha256(message[1]).hexdigest() if message else None
    try:
        try:
            return _insert(make_session, source, event, payload, message, digest), "accepted"
        except IntegrityError:
            # A redelivery, or the same delivery racing itself: the first commit decided.
            with make_session() as session:
                if message:
                    _refuse_another_body(session, source, message[0], digest)
                first = session.scalar(select(InboxEvent.id).where(
                    InboxEvent.source == source, InboxEvent.external_id == event["id"]))
            if first is None:
                raise
            return first, "duplicate"
    except OperationalError as exc:
        # Not committed, so not accepted: the platform must deliver it again.
        raise ApiError(503, "database_unavailable",
                       "the event store is unavailable; deliver the event again later") from exc


def _insert(make_session: sessionmaker, source: str, event: dict, payload: dict,
            message: tuple[str, bytes] | None, digest: str | None) -> str:
    """Insert the event and its delivery's webhook-id together; a taken one raises IntegrityError."""
    inbox_id, now = new_id(), utcnow()
    with make_session() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        # On PostgreSQL one statement that commits itself: the answer waits for one round trip
        # to the database instead of five (BEGIN, a look, two INSERTs, COMMIT).
        connection = session.connection(
            execution_options={"isolation_level": "AUTOCOMMIT"} if postgres else None)
        row = {"id": inbox_id, "source": source, "external_id": event["id"],
               "platform": event["platform"], "kind": event["kind"],
               "author_id": event["author"]["id"], "brand": brand_key(event["brand"]),
               # Knowing the conversation now lets workers decide its events in order.
               "thread": find_thread(session, event["platform"], payload),
               "occurred_at": event["occurred_at"], "payload": payload, "status": "received",
               "attempts": 0, "received_at": now}
        if message is None:
            connection.execute(STORE_EVENT, row)
        elif postgres:
            connection.execute(STORE_BOTH, {**row, "message_id": message[0],
                                            "message_row_id": new_id(), "body_sha256": digest})
        else:
            # SQLite has no INSERT inside WITH: two statements in one transaction.
            connection.execute(STORE_DELIVERY, {"source": source, "message_id": message[0],
                                                "message_row_id": new_id(),
                                                "body_sha256": digest, "received_at": now})
            connection.execute(STORE_EVENT, row)
        session.commit()
    return inbox_id


def _refuse_another_body(session: Session, source: str, message_id: str, digest: str) -> None:
    """Refuse a webhook-id that came before with another body."""
    seen = session.scalar(select(WebhookMessage.body_sha256).where(
        WebhookMessage.source == source, WebhookMessage.message_id == message_id))
    if seen is not None and seen != digest:
        raise ApiError(401, "replayed_message",
                       "this webhook-id was already delivered with another body", "webhook-id")
