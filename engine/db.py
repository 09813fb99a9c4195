"""Tables: the inbox, decisions, the outbox, conversations, customers and their ledger."""
import uuid
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import (JSON, DateTime, ForeignKey, Index, Integer, Numeric, String, Text,
                        TypeDecorator, UniqueConstraint, create_engine, event)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker


def new_id() -> str:
    """Return a fresh random id for a row."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A DateTime that always comes back timezone-aware in UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.astimezone(timezone.utc) if isinstance(value, datetime) and value.tzinfo \
            else value

    def process_result_value(self, value, dialect):
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class InboxEvent(Base):
    __tablename__ = "inbox_events"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_inbox_source_event"),
                      Index("ix_inbox_platform_external", "platform", "external_id"),
                      Index("ix_inbox_platform_thread", "platform", "thread"),
                      Index("ix_inbox_brand_occurred", "brand", "occurred_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[str] = mapped_column(String(200), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(32), index=True)
    thread: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    # Brand-wide counts and rates (`brand_history.*`, `rate`) read these two.
    brand: Mapped[str | None] = mapped_column(String(200))
    text_norm: Mapped[str | None] = mapped_column(Text)
    enriched: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    decisions: Mapped[list["Decision"]] = relationship(order_by="Decision.created_at")
    actions: Mapped[list["Action"]] = relationship(order_by="Action.created_at")


class WebhookMessage(Base):
    """A signed delivery's message id, so a replayed id with another body is refused."""

    __tablename__ = "webhook_messages"
    __table_args__ = (UniqueConstraint("source", "message_id", name="uq_webhook_message"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(200))
    body_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("inbox_events.id"), index=True)
    policy: Mapped[str] = mapped_column(String(100), index=True)
    policy_version: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(100), index=True)
    why: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Action(Base):
    """One row of the outbox: a side effect to run, with retries, until done or dead."""

    __tablename__ = "actions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("inbox_events.id"), index=True)
    type: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict] = mapped_column(JSON)
    policy: Mapped[str] = mapped_column(String(100))
    policy_version: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(100))
    why: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[list] = mapped_column(JSON, default=list)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    sequence_key: Mapped[str | None] = mapped_column(String(300), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # How far the help desk got with this action in a batch (the step, a job, the ticket), so a
    # retry goes on from there instead of asking Zendesk again; null outside batches.
    desk_progress: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))


class Conversation(Base):
    """A social conversation; `ticketed` once a rule asked for its Zendesk ticket."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("platform", "thread", name="uq_conversation"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    platform: Mapped[str] = mapped_column(String(40))
    thread: Mapped[str] = mapped_column(String(200))
    ticketed: Mapped[bool] = mapped_column(default=False)
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when this record was merged into another; old ids keep finding the survivor.
    merged_into: Mapped[str | None] = mapped_column(String(32))

    identities: Mapped[list["Identity"]] = relationship(back_populates="customer")


class Identity(Base):
    """An online identity (platform + stable author id) or offline key (`email`) of a customer."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "author_id", name="uq_identity"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    platform: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[str] = mapped_column(String(320))
    handle: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")


class LedgerEntry(Base):
    """Append-only loyalty ledger; `key` says what is rewarded, so it is rewarded once."""

    __tablename__ = "ledger"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="credit")
    points: Mapped[int] = mapped_column(Integer, default=0)
    voucher: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    policy: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    brand: Mapped[str | None] = mapped_column(String(200), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # Unique: an entry is reversed at most once, whoever asks twice.
    reverses: Mapped[str | None] = mapped_column(String(32), unique=True)
    voucher_code: Mapped[str | None] = mapped_column(String(100), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the reward costs the business, fixed when it is issued (a reversal: minus the credit's).
    cost: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal(0))


class Voucher(Base):
    """A voucher code of a configured pool, handed out once (ledger_id set when given)."""

    __tablename__ = "vouchers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    pool: Mapped[str] = mapped_column(String(100), index=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ledger_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CustomerMerge(Base):
    """Audit of one merge: which record went into which, why, and what moved."""

    __tablename__ = "customer_merges"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    survivor_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    moved: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Referral(Base):
    """A referral claim: pending until the referred person becomes a customer."""

    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    referrer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    claim_event_id: Mapped[str] = mapped_column(String(32), unique=True)
    referred_email: Mapped[str | None] = mapped_column(String(320), index=True)
    referred_code: Mapped[str | None] = mapped_column(String(200), index=True)
    referred_customer_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    ledger_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TicketMetric(Base):
    """Zendesk's first reply time of a ticket Goodwill created, kept by engine.ticket_metrics."""

    __tablename__ = "ticket_metrics"

    ticket_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    action_id: Mapped[str] = mapped_column(String(32), unique=True)
    platform: Mapped[str] = mapped_column(String(40))
    policy: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(100))
    ticket_created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Null until an agent's first public reply; then final, and the ticket is not asked about again.
    reply_minutes: Mapped[int | None] = mapped_column(Integer)
    reply_business_minutes: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Set when Zendesk refused for good (a deleted ticket): the ticket is not asked about again.
    error: Mapped[str | None] = mapped_column(Text)


class DeskPause(Base):
    """A help desk that asked Goodwill to stop sending (429 Retry-After) until `paused_until`."""

    __tablename__ = "desk_pauses"

    desk: Mapped[str] = mapped_column(String(60), primary_key=True)
    paused_until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")


def make_sessionmaker(url: str) -> sessionmaker:
    """Connect to the database and return a session factory.

    The embedded SQLite default migrates itself; any other database must have been upgraded
    with `goodwill db upgrade` and is refused while it is behind the code.
    """
    from engine import migrate
    engine = create_engine(url, future=True)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets the receiver write while workers read; the timeout rides out short locks.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    if engine.dialect.name == "sqlite":
        migrate.upgrade(engine)
    else:
        migrate.require_current(engine)
    return sessionmaker(engine, expire_on_commit=False)
