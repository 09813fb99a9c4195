"""The durable inbox: an accepted event is committed before the receiver answers 202."""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker

from engine.db import InboxEvent
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
