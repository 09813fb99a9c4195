"""`goodwill simulate`: what would happen to an event, decided for real but with no side effect."""
from marshmallow import ValidationError

from engine import customers, enrich
from engine.actions.registry import action_types
from engine.db import InboxEvent, make_sessionmaker
from engine.history import brand_key
from engine.policy import RulesEngine, explain, load_policy_set, render_explanation
from engine.schema import dump_event, first_error, load_event
from engine.settings import Settings


def simulate(settings: Settings, payload: dict, explain_rules: bool = False) -> str:
    """Decide on one event against the live database and policies, then roll everything back."""
    try:
        event = dump_event(load_event(payload))
    except ValidationError as exc:
        field, message = first_error(exc.messages)
        return f"the event is not valid: {field}: {message}"
    policy_set = load_policy_set(settings.policies)
    make_session = make_sessionmaker(settings.database_url)
    with make_session() as session:
        # Everything below happens inside one transaction that is never committed.
        row = InboxEvent(source="simulate", external_id=event["id"], platform=event["platform"],
                         kind=event["kind"], author_id=event["author"]["id"],
                         brand=brand_key(event["brand"]), thread=event["thread"], occurred_at=load_event(payload)["occurred_at"],
                         payload=event)
        session.add(row)
        session.flush()
        row.thread = enrich.resolve_thread(session, row, event)
        from_brand = enrich.is_from_brand(event, row.source)
        customer_id = None if from_brand else customers.resolve_author(session, event).id
        fact = enrich.build_fact(session, row, {**event, "thread": row.thread}, customer_id,
                                 policy_set.count_specs(), settings.loyalty_tiers)
        conversation = enrich.conversation(session, row.platform, row.thread)
        session.rollback()
    engine = RulesEngine(policy_set)
    try:
        matches = [] if from_brand else engine.decide(fact)
    finally:
        engine.close()
    lines = [_headline(fact), *_outcome(fact, matches, conversation)]
    if explain_rules:
        lines += ["", "Every rule:", render_explanation(explain(policy_set, fact))]
    return "\n".join(lines)


def _headline(fact: dict) -> str:
    who = fact["author"].get("handle") or fact["author"]["id"]
    return (f"{fact['platform']} {fact['kind']} {fact['id']} by {who} to {fact['brand']}: "
            f"sentiment {fact['sentiment']}, thread {fact['thread']}")


def _outcome(fact: dict, matches, conversation) -> list[str]:
    if fact["from_brand"]:
        ticketed = conversation is not None and conversation.ticketed
        return ["The brand's own post: recorded, never ticketed"
                + ("; added to the conversation's ticket as an internal note." if ticketed else ".")]
    lines = []
    if conversation is not None and conversation.ticketed:
        lines.append(f"The conversation goodwill:{fact['platform']}:{fact['thread']} has a ticket:"
                     " this event becomes a comment on it.")
    if not matches:
        lines.append("No rule matches: the event is recorded as unmatched.")
    types = action_types()
    for match in matches:
        lines.append(f"{match.policy.name}/{match.rule.name} (version {match.policy.version}) "
                     f"matches: {match.why}")
        for spec in match.rule.then:
            lines.append(f"  would {types[spec.type].label(spec.params)}")
    return lines
