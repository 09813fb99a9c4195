"""Regular expressions, hashtags, mentions, business hours, tiers and rates, in both engines."""
import textwrap
import time

import pytest

from engine.policy import load_policy_set, validate_folder


def policy(tmp_path, text: str):
    (tmp_path / "p.yaml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return tmp_path


def fired(decide, folder, event) -> list[str]:
    return [m.rule.name for m in decide(load_policy_set(folder), event)]


REGEX = """
    policy: p
    rules:
      - name: order-number
        when: {text: {matches: 'order\\s*#?\\d{6}\\b'}}
        then: [{zendesk.ticket: {}}]
      - name: no-order-number
        when: {not: {text: {matches: ['order\\s*#?\\d{6}\\b', '^(a+)+$']}}}
        then: [{zendesk.ticket: {}}]
"""


def test_regular_expressions_use_python_syntax_anywhere_in_the_text(tmp_path, decide):
    folder = policy(tmp_path, REGEX)
    assert fired(decide, folder, {"text": "Where is ORDER #123456?"}) == ["order-number"]
    assert fired(decide, folder, {"text": "order 1234567"}) == ["no-order-number"]
    assert fired(decide, folder, {"text": None}) == ["no-order-number"]


def test_a_catastrophic_pattern_gives_up_quickly_and_counts_as_no_match(tmp_path, decide):
    folder = policy(tmp_path, REGEX)
    started = time.monotonic()
    matches = decide(load_policy_set(folder), {"text": "a" * 5000 + "!"})
    # Generous bound: the search gives up after 50 ms; an unguarded `re` would run for ages.
    assert time.monotonic() - started < 20
    [match] = matches
    assert match.rule.name == "no-order-number"
    assert "too slow" in match.why or "matches none" in match.why


def test_a_broken_pattern_is_a_load_error_with_its_line(tmp_path):
    folder = policy(tmp_path, """
        policy: p
        rules:
          - name: broken
            when: {text: {matches: 'order (#\\d+'}}
            then: [{zendesk.ticket: {}}]
    """)
    [error] = validate_folder(folder)
    assert error.line == 4
    assert "is not a valid regular expression" in error.message


TAGS = """
    policy: p
    rules:
      - name: outage-tag
        when: {hashtags: [outage, down]}
        then: [{zendesk.ticket: {}}]
      - name: names-a-rival
        when: {mentions: {any: [rivalco], none: [acmehelp]}}
        then: [{zendesk.ticket: {}}]
      - name: both-tags
        when: {hashtags: {all: ["#Fail", café]}}
        then: [{zendesk.ticket: {}}]
"""


def test_hashtags_and_mentions_ignore_case_accents_and_their_sign(tmp_path, decide):
    folder = policy(tmp_path, TAGS)
    assert fired(decide, folder, {"text": "App dead again #OUTAGE"}) == ["outage-tag"]
    assert fired(decide, folder, {"text": "@RivalCo does it better"}) == ["names-a-rival"]
    assert fired(decide, folder, {"text": "@RivalCo @AcmeHelp"}) == []
    assert fired(decide, folder, {"text": "#fail #Cafe"}) == ["both-tags"]
    assert fired(decide, folder, {"text": "outage down rivalco, no signs"}) == []


HOURS = """
    policy: p
    business_hours:
      timezone: Europe/London
      open: {mon-fri: "09:00-17:30", sat: ["10:00-12:00", "13:00-14:00"], sun: closed}
      holidays: [2026-12-25]
      brands:
        AcmeUS: {timezone: America/New_York, open: {mon-sun: "08:00-20:00"}}
    rules:
      - name: out-of-hours
        when: {business_hours: closed}
        then: [{zendesk.ticket: {priority: low}}]
      - name: in-hours
        when: {business_hours: open}
        then: [{zendesk.ticket: {}}]
"""


@pytest.mark.parametrize("when, brand, expected", [
    ("2026-12-01T08:59:00Z", "Acme", "out-of-hours"),      # Tuesday 08:59 in London (GMT)
    ("2026-12-01T09:00:00Z", "Acme", "in-hours"),
    ("2026-12-01T16:45:00Z", "Acme", "in-hours"),          # 16:45 GMT
    ("2026-07-01T16:45:00Z", "Acme", "out-of-hours"),      # 17:45 BST: summer time counts
    ("2026-12-05T12:30:00Z", "Acme", "out-of-hours"),      # Saturday lunch break
    ("2026-12-05T13:30:00Z", "Acme", "in-hours"),
    ("2026-12-06T13:30:00Z", "Acme", "out-of-hours"),      # Sunday
    ("2026-12-25T11:00:00Z", "Acme", "out-of-hours"),      # Christmas, a Friday
    ("2026-12-25T11:00:00Z", "@acmeus", "out-of-hours"),   # 06:00 in New York
    ("2026-12-25T14:00:00Z", "@acmeus", "in-hours"),       # 09:00 there, and no holiday
])
def test_business_hours_follow_the_brands_time_zone_and_holidays(tmp_path, decide, when, brand,
                                                                 expected):
    assert fired(decide, policy(tmp_path, HOURS), {"occurred_at": when, "brand": brand}) \
        == [expected]


def test_why_names_the_local_time_and_the_reason(tmp_path, decide):
    [match] = decide(load_policy_set(policy(tmp_path, HOURS)),
                     {"occurred_at": "2026-12-25T11:00:00Z", "brand": "Acme"})
    assert match.why == "business hours closed: Fri 25 Dec 11:00 in Europe/London is a holiday"


@pytest.mark.parametrize("section, message", [
    ('{timezone: Europe/Londn, open: {mon: "09:00-17:00"}}', "unknown time zone `Europe/Londn`"),
    ('{timezone: UTC, open: {monday: "09:00-17:00"}}', "is not a day or a range of days"),
    ('{timezone: UTC, open: {mon: "17:00-09:00"}}', "must start before it ends"),
    ('{timezone: UTC, open: {mon: "9-5"}}', "is not a span of hours"),
    ('{timezone: UTC, open: {mon: "09:00-17:00"}, holidays: [Christmas]}', "is not a date"),
])
def test_mistakes_in_business_hours_are_named(tmp_path, section, message):
    folder = policy(tmp_path, f"""
        policy: p
        business_hours: {section}
        rules:
          - name: r
            when: {{business_hours: open}}
            then: [{{zendesk.ticket: {{}}}}]
    """)
    errors = validate_folder(folder)
    assert any(message in e.message and e.line == 2 for e in errors), errors


def test_business_hours_need_the_policys_section(tmp_path):
    folder = policy(tmp_path, """
        policy: p
        rules:
          - name: r
            when: {business_hours: open}
            then: [{zendesk.ticket: {}}]
    """)
    [error] = validate_folder(folder)
    assert (error.line, "business_hours:` section" in error.message) == (4, True)


RATES = """
    policy: p
    rules:
      - name: outage-incident
        when:
          rate: {of: complaints, within: 10m, mentioning: [outage, "no signal"], at_least: 4}
        then: [{zendesk.ticket: {problem: outage}}]
      - name: busy-brand
        when: {brand_history.mentions_1h: {at_least: 100}}
        then: [{zendesk.ticket: {}}]
      - name: gold
        when: {customer.tier: gold}
        then: [{loyalty.credit: {points: 5}}]
"""


def test_rates_brand_history_and_tiers_read_the_counts_attached_to_the_event(tmp_path, decide):
    folder = policy(tmp_path, RATES)
    rate = "complaints_10m mentioning outage, no signal"
    assert fired(decide, folder, {"rates": {rate: 3}}) == []
    [match] = decide(load_policy_set(folder), {"rates": {rate: 4}})
    assert match.why == ("4 complaints mentioning outage or no signal within 10m across "
                         "customers, at least 4")
    assert fired(decide, folder, {"brand_history": {"mentions_1h": 120}}) == ["busy-brand"]
    assert fired(decide, folder, {"customer": {"tier": "gold"}}) == ["gold"]


def test_a_rate_needs_what_it_counts_a_window_and_a_threshold(tmp_path):
    folder = policy(tmp_path, """
        policy: p
        rules:
          - name: r
            when: {rate: {of: Complaints, within: 10 minutes}}
            then: [{zendesk.ticket: {}}]
          - name: s
            when: {rate: {of: complaints, within: 10m}}
            then: [{zendesk.ticket: {}}]
    """)
    messages = " | ".join(e.message for e in validate_folder(folder))
    assert "give a window such as 10m" in messages
    assert "name a kind" in messages
    assert "give a threshold: one of below, above, at_least, at_most" in messages
