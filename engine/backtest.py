"""`goodwill backtest`: replay stored events through changed policies and show what would differ.

Each event is decided again on the fact it was decided on (`InboxEvent.enriched`, conversation
state included); counts the new policies read and that fact lacks (history, brand history,
rates) are computed as they stood at the event's `occurred_at`. As in the worker, the brand's own events are not decided
by policies, and the built-in `goodwill` decisions (follow-ups, brand replies, unmatched) are
not compared. Nothing is written and no action runs: the session is only read, then rolled back.
"""
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engine import enrich, history
from engine.actions.registry import action_types
from engine.db import InboxEvent, make_sessionmaker, utcnow
from engine.policy import PolicySet, RulesEngine
from engine.policy.model import TICKET_ACTION
from engine.worker import BUILTIN

CREDIT_ACTION = "loyalty.credit"
SINCE = re.compile(r"^(?P<n>\d+)(?P<unit>[mhd])$")
EXCERPT_CHARS = 60
LABELS = {"new_ticket": "NEW TICKET", "dropped_ticket": "NO TICKET",
          "credit_gained": "+ CREDIT", "credit_lost": "- CREDIT",
          "action_gained": "+ ACTION", "action_lost": "- ACTION",
          "rule_gained": "+ RULE", "rule_lost": "- RULE"}
# Differences explained by the old decision (its rule no longer fires, or no longer asks).
OLD_SIDE = {"dropped_ticket", "credit_lost", "action_lost", "rule_lost"}


def parse_since(text: str) -> timedelta:
    """Turn `30d`, `12h` or `90m` into a timedelta; raise ValueError saying what is expected."""
    m = SINCE.match((text or "").strip())
    if not m or int(m["n"]) == 0:
        raise ValueError(f"expected a period such as 30d, 12h or 90m, got {text!r}")
    return timedelta(**{history.UNITS[m["unit"]]: int(m["n"])})


@dataclass
class Difference:
    """One thing that would change for one event, and the rule (new, or old and gone) behind it."""

    kind: str
    event_id: str
    external_id: str
    author: str
    excerpt: str
    rule: str
    why: str
    action: str | None = None


@dataclass
class Outcome:
    """What the policies decided for one event: rules fired, tickets asked for, other actions."""

    rules: dict[str, str] = field(default_factory=dict)
    ticket_rules: list[str] = field(default_factory=list)
    ticket_params: dict = field(default_factory=dict)
    actions: Counter = field(default_factory=Counter)


@dataclass
class BacktestReport:
    """Every difference found, and the counts of the summary."""

    folder: str
    since: str
    replayed: int = 0
    unchanged: int = 0
    brand_events: int = 0
    differences: list[Difference] = field(default_factory=list)

    def summary(self) -> dict:
        """Count events and differences the way the summary line says them."""
        kinds = Counter(d.kind for d in self.differences)
        return {"events_replayed": self.replayed, "unchanged": self.unchanged,
                "changed": self.replayed - self.unchanged,
                "brand_events_skipped": self.brand_events,
                "would_ticket_newly": kinds["new_ticket"],
                "would_no_longer_ticket": kinds["dropped_ticket"],
                "credits_gained": kinds["credit_gained"], "credits_lost": kinds["credit_lost"],
                "actions_gained": kinds["action_gained"], "actions_lost": kinds["action_lost"]}

    def to_json(self) -> str:
        """Render for scripts: the differences and the summary."""
        return json.dumps({"policies": self.folder, "since": self.since,
                           "differences": [asdict(d) for d in self.differences],
                           "summary": self.summary()}, indent=2)

    def render(self) -> str:
        """Render for people: one block per difference, then the summary."""
        lines = []
        for d in self.differences:
            lines.append(f"{LABELS[d.kind]:<11} event {d.event_id} by {d.author}: \"{d.excerpt}\"")
            lines.append(f"{'':<11} {'was ' if d.kind in OLD_SIDE else ''}{d.rule}: "
                         f"{d.why or '(no reason recorded)'}"
                         + (f" -> {d.action}" if d.action else ""))
        s = self.summary()
        lines.append(f"{s['events_replayed']} event(s) replayed from the last {self.since} against "
                     f"{self.folder}: {s['unchanged']} unchanged; would ticket newly "
                     f"{s['would_ticket_newly']}, would no longer ticket "
                     f"{s['would_no_longer_ticket']}; credits +{s['credits_gained']} "
                     f"-{s['credits_lost']}; other actions +{s['actions_gained']} "
                     f"-{s['actions_lost']}; {s['brand_events_skipped']} brand event(s) skipped")
        return "\n".join(lines)


def backtest(database_url: str, policy_set: PolicySet, since: str) -> BacktestReport:
    """Decide the events processed within `since` again with `policy_set`; compare with before."""
    start = utcnow() - parse_since(since)
    report = BacktestReport(policy_set.folder, since)
    wanted = policy_set.count_specs()
    make_session = make_sessionmaker(database_url)
    with RulesEngine(policy_set) as engine, make_session() as session:
        rows = session.scalars(
            select(InboxEvent).where(InboxEvent.status == "processed",
                                     InboxEvent.processed_at >= start,
                                     InboxEvent.enriched.is_not(None))
            .order_by(InboxEvent.occurred_at, InboxEvent.received_at)
            .options(selectinload(InboxEvent.decisions), selectinload(InboxEvent.actions))
            .execution_options(yield_per=500))
        for row in rows:
            if enrich.is_from_brand(row.payload, row.source):
                report.brand_events += 1
                continue
            fact = _fact(session, row, wanted)
            again = decided_outcome(engine.decide(fact))
            differences = compare(row, fact, stored_outcome(row), again)
            report.replayed += 1
            if not differences:
                report.unchanged += 1
            report.differences.extend(differences)
        session.rollback()
    return report


def _fact(session, row: InboxEvent, wanted) -> dict:
    """Return the stored fact, with the counts it lacks computed as they stood at its time."""
    fact = dict(row.enriched)
    missing = {spec for spec in wanted if spec.slot[1] not in (fact.get(spec.slot[0]) or {})}
    if missing:
        found = history.all_counts(session, missing, row.customer_id, fact.get("brand"),
                                   row.occurred_at, row.id)
        for key, counts in found.items():
            fact[key] = {**(fact.get(key) or {}), **counts}
    return fact


def stored_outcome(row: InboxEvent) -> Outcome:
    """Read what the policies decided from the stored decisions and outbox rows."""
    builtin = BUILTIN["policy"]
    outcome = Outcome(rules={f"{d.policy}/{d.rule}": d.why for d in row.decisions
                             if d.policy != builtin})
    for action in row.actions:
        if action.type == TICKET_ACTION:
            asked = [f"{d['policy']}/{d['rule']}" for d in action.decisions or []
                     if d.get("policy") != builtin]
            if asked:
                outcome.ticket_rules += asked
                outcome.ticket_params = action.params
        elif action.policy != builtin:
            outcome.actions[(action.type, f"{action.policy}/{action.rule}",
                             _canonical(action.params))] += 1
    return outcome


def decided_outcome(matches) -> Outcome:
    """Sum up what the rules that fired now ask for."""
    outcome = Outcome(rules={m.name: m.why for m in matches})
    for match in matches:
        for spec in match.rule.then:
            if spec.type == TICKET_ACTION:
                outcome.ticket_rules.append(match.name)
                outcome.ticket_params = outcome.ticket_params or spec.params
            else:
                outcome.actions[(spec.type, match.name, _canonical(spec.params))] += 1
    return outcome


def compare(row: InboxEvent, fact: dict, old: Outcome, new: Outcome) -> list[Difference]:
    """List what differs for one event; a ticket only counts where the conversation had none."""
    found: list[tuple[str, str, str, str | None]] = []
    # In a conversation that already had a ticket the event is a comment on it either way.
    ticketed = bool((fact.get("conversation") or {}).get("ticketed"))
    if not ticketed and bool(new.ticket_rules) != bool(old.ticket_rules):
        if new.ticket_rules:
            rule = new.ticket_rules[0]
            found.append(("new_ticket", rule, new.rules.get(rule, ""),
                          _label(TICKET_ACTION, new.ticket_params)))
        else:
            rule = old.ticket_rules[0]
            found.append(("dropped_ticket", rule, old.rules.get(rule, ""),
                          _label(TICKET_ACTION, old.ticket_params)))
    for side, counts, rules in (("gained", new.actions - old.actions, new.rules),
                                ("lost", old.actions - new.actions, old.rules)):
        for (action_type, rule, params), times in sorted(counts.items()):
            kind = f"credit_{side}" if action_type == CREDIT_ACTION else f"action_{side}"
            found += [(kind, rule, rules.get(rule, ""),
                       _label(action_type, json.loads(params)))] * times
    named = {rule for _, rule, _, _ in found}
    found += [("rule_gained", rule, why, None) for rule, why in new.rules.items()
              if rule not in old.rules and rule not in named]
    found += [("rule_lost", rule, why, None) for rule, why in old.rules.items()
              if rule not in new.rules and rule not in named]
    author = fact.get("author") or {}
    who = author.get("handle") or author.get("id") or row.author_id
    return [Difference(kind, row.id, row.external_id, who, excerpt(fact.get("text")), rule, why,
                       action) for kind, rule, why, action in found]


def excerpt(text: str | None) -> str:
    """Return the start of a text on one line."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS - 1].rstrip() + "…"


def _canonical(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _label(action_type: str, params: dict) -> str:
    """Say what an action does in words; its raw parameters when the action is unknown now."""
    known = action_types().get(action_type)
    try:
        return known.label(params) if known else f"{action_type} {params}"
    except (KeyError, TypeError):  # parameters stored under an older shape of the action
        return f"{action_type} {params}"
