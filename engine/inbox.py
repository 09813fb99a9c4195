"""The durable inbox: an accepted event is committed before the receiver answers 202."""
import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.db import InboxEvent, WebhookMessage
from engine.enrich import find_thread
from engine.history import brand_key
from engine.errors import ApiError
from engine.schema import dump_event


def accept(make_session: sessionmaker, source: str, event: dict,
           message: tuple[str, bytes] | None = None) -> tuple[str, str]:
    """Store an event once per (source, event id); return (inbox id, "accepted" | "duplicate").

    `message` is a signed delivery's (webhook-id, body): recorded in the same commit, so a
    replayed id carrying another body is refused while a platform's retry is a duplicate.
    """
    payload = dump_event(event)
    digest = hashlib.sha256(message[1]).hexdigest() if message else None
    try:
        with make_session.begin() as session:
            if message and _seen_message(session, source, message[0], digest):
                return _first(session, source, event["id"]), "duplicate"
            if message:
                session.add(WebhookMessage(source=source, message_id=message[0],
                                           body_sha256=digest))
            # Knowing the conversation now lets workers decide its events in order.
            row = InboxEvent(source=source, external_id=event["id"], platform=event["platform"],
                             kind=event["kind"], author_id=event["author"]["id"],
                             brand=brand_key(event["brand"]),
                             thread=find_thread(session, event["platform"], payload),
                             occurred_at=event["occurred_at"], payload=payload)
            session.add(row)
        return row.id, "accepted"
    except IntegrityError:
        # A redelivery, or the same delivery racing itself: the first commit decided.
        with make_session() as session:
            if message:
                _seen_message(session, source, message[0], digest)
            first = _first(session, source, event["id"])
        if first is None:
            raise
        return first, "duplicate"
    except OperationalError as exc:
        # Not committed, so not accepted: the platform must deliver it again.
        raise ApiError(503, "database_unavailable",
                       "the event store is unavailable; deliver the event again later") from exc


def _seen_message(session: Session, source: str, message_id: str, digest: str) -> bool:
    """Tell whether this webhook-id came before with this body; refuse it with another."""
    seen = session.scalar(select(WebhookMessage.body_sha256).where(
        WebhookMessage.source == source, WebhookMessage.message_id == message_id))
    if seen is not None and seen != digest:
        raise ApiError(401, "replayed_message",
                       "this webhook-id was already delivered with another body", "webhook-id")
    return seen is not None


def _first(session: Session, source: str, external_id: str) -> str | None:
    return session.scalar(select(InboxEvent.id).where(InboxEvent.source == source,
                                                      InboxEvent.external_id == external_id))
