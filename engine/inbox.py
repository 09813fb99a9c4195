"""The durable inbox: an accepted event is committed before the receiver answers 202."""
import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker

from engine.db import InboxEvent, WebhookMessage
from engine.enrich import find_thread
from engine.errors import ApiError
from engine.schema import dump_event


def accept(make_session: sessionmaker, source: str, event: dict) -> tuple[str, str]:
    """Store an event once per (source, event id); return (inbox id, "accepted" | "duplicate")."""
    payload = dump_event(event)
    try:
        with make_session.begin() as session:
            # Knowing the conversation now lets workers decide its events in order.
            row = InboxEvent(source=source, external_id=event["id"], platform=event["platform"],
                             kind=event["kind"], author_id=event["author"]["id"],
                             thread=find_thread(session, event["platform"], payload),
                             occurred_at=event["occurred_at"], payload=payload)
            session.add(row)
        return row.id, "accepted"
    except IntegrityError:
        with make_session() as session:
            first = session.scalar(select(InboxEvent.id).where(
                InboxEvent.source == source, InboxEvent.external_id == event["id"]))
        if first is None:
            raise
        return first, "duplicate"
    except OperationalError as exc:
        # Not committed, so not accepted: the platform must deliver it again.
        raise ApiError(503, "database_unavailable",
                       "the event store is unavailable; deliver the event again later") from exc


def remember_message(make_session: sessionmaker, source: str, message_id: str,
                     body: bytes) -> None:
    """Record a signed delivery's id; refuse the same id carrying a different body.

    A platform's retry repeats id and body alike and goes on to the usual duplicate answer;
    the same id with a new body is a replay by someone who captured one signed delivery.
    """
    digest = hashlib.sha256(body).hexdigest()
    try:
        with make_session.begin() as session:
            seen = session.scalar(select(WebhookMessage).where(
                WebhookMessage.source == source, WebhookMessage.message_id == message_id))
            if seen is None:
                session.add(WebhookMessage(source=source, message_id=message_id,
                                           body_sha256=digest))
            elif seen.body_sha256 != digest:
                raise ApiError(401, "replayed_message",
                               "this webhook-id was already delivered with another body",
                               "webhook-id")
    except IntegrityError:
        # Two deliveries of one id raced; the loser checks the winner's body.
        remember_message(make_session, source, message_id, body)
    except OperationalError as exc:
        raise ApiError(503, "database_unavailable",
                       "the event store is unavailable; deliver the event again later") from exc
