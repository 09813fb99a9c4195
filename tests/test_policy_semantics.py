"""What fires: priority then file order, stop, fallback rules and `decided`, in both engines."""
import textwrap

from engine.policy import explain, load_policy_set, render_explanation
from engine.policy.facts import fact_from_event


def policies(tmp_path, **files):
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return load_policy_set(tmp_path)


def names(matches):
    return [m.name for m in matches]


ORDERED = """
    policy: ordered
    rules:
      - name: written-first
        when: {kind: mention}
        then: [{zendesk.ticket: {priority: normal}}]
      - name: runs-first
        priority: 1
        when: {kind: mention}
        then: [{zendesk.ticket: {priority: high}}]
      - name: stopper
        priority: 50
        stop: true
        when: {text: refund}
        then: [{zendesk.ticket: {priority: urgent}}]
      - name: after-stop
        priority: 200
        when: {kind: mention}
        then: [{zendesk.ticket: {priority: low}}]
    """


def test_matching_rules_all_fire_in_priority_then_file_order(tmp_path, decide):
    policy_set = policies(tmp_path, ordered=ORDERED)
    assert names(decide(policy_set, {"text": "hello"})) == [
        "ordered/runs-first", "ordered/written-first", "ordered/after-stop"]


def test_a_matching_stop_rule_ends_its_policy_only(tmp_path, decide):
    policy_set = policies(tmp_path, ordered=ORDERED, other="""
        policy: other
        rules:
          - {name: independent, when: {kind: mention}, then: [{zendesk.ticket: {}}]}
        """)
    assert names(decide(policy_set, {"text": "I want a refund"})) == [
        "ordered/runs-first", "ordered/stopper", "other/independent"]


def test_why_names_the_conditions_that_made_the_rule_match(tmp_path, decide):
    policy_set = policies(tmp_path, c="""
        policy: c
        rules:
          - name: complaint
            when:
              kind: [mention, comment, direct_message, review]
              any:
                - sentiment: {below: -0.3}
                - text: {contains_any: [refund, "doesn't work"]}
                - rating: {at_most: 2}
            then: [{zendesk.ticket: {priority: high}}]
        """)
    [match] = decide(policy_set, {"text": "It DOESN'T work!", "sentiment": -0.62})
    assert match.why == ('kind mention in [mention, comment, direct_message, review]; '
                         'sentiment -0.62 below -0.3; text contains "doesn\'t work"')
    assert (match.policy.name, match.rule.name) == ("c", "complaint")
    assert match.policy.version and match.rule.then[0].params["priority"] == "high"


FALLBACK = """
    policy: enquiries
    rules:
      - name: catch-all
        fallback: true
        when:
          kind: [mention, comment, direct_message, review]
          conversation.first: true
          decided.ticket: false
          decided.labels: {excludes: praise}
        then: [{zendesk.ticket: {priority: normal}}]
      - name: saw-complaint
        fallback: true
        when: {decided.labels: complaint}
        then: [{crm.webhook: {event: customer.complained}}]
    """
OTHERS = {
    "complaints": """
        policy: complaints
        rules:
          - {name: complaint, labels: [complaint], when: {text: broken},
             then: [{zendesk.ticket: {priority: high}}]}
        """,
    "appreciation": """
        policy: appreciation
        rules:
          - {name: praise, labels: [praise], when: {text: thanks},
             then: [{loyalty.credit: {points: 5}}]}
        """,
}


def test_fallback_rules_run_after_every_other_rule(tmp_path, decide):
    policy_set = policies(tmp_path, enquiries=FALLBACK, **OTHERS)
    assert names(decide(policy_set, {"text": "hello there"})) == ["enquiries/catch-all"]


def test_fallback_rules_see_tickets_and_labels_decided_before_them(tmp_path, decide):
    policy_set = policies(tmp_path, enquiries=FALLBACK, **OTHERS)
    assert names(decide(policy_set, {"text": "it arrived broken"})) == [
        "complaints/complaint", "enquiries/saw-complaint"]
    assert names(decide(policy_set, {"text": "thanks a lot"})) == ["appreciation/praise"]
    assert names(decide(policy_set, {"text": "hi", "conversation": {"first": False}})) == []


def test_the_why_of_a_fallback_rule_quotes_decided(tmp_path, decide):
    policy_set = policies(tmp_path, enquiries=FALLBACK, **OTHERS)
    [match] = decide(policy_set, {"text": "hello"})
    assert "decided.ticket false is false" in match.why
    assert "decided.labels [] include none of praise" in match.why


def test_a_stop_in_the_first_pass_also_skips_the_policys_fallback_rules(tmp_path, decide):
    policy_set = policies(tmp_path, p="""
        policy: p
        rules:
          - {name: stops, stop: true, when: {kind: like}, then: [{crm.webhook: {event: a.b}}]}
          - {name: late, fallback: true, when: {decided.ticket: false}, then: [{crm.webhook: {event: a.c}}]}
        """)
    assert names(decide(policy_set, {"kind": "like"})) == ["p/stops"]
    assert names(decide(policy_set, {"kind": "share"})) == ["p/late"]


def test_not_any_all_and_missing_values(tmp_path, decide):
    policy_set = policies(tmp_path, n="""
        policy: n
        rules:
          - name: unrated-or-good
            when: {not: {rating: {below: 3}}}
            then: [{crm.webhook: {event: a.b}}]
          - name: no-thanks
            when: {kind: mention, not: {text: {contains_any: [thanks, "thank you"]}}}
            then: [{crm.webhook: {event: a.b}}]
          - name: vip
            when: {any: [{extra.vip: true}, {all: [{author.followers: {at_least: 1000}}, {author.verified: true}]}]}
            then: [{crm.webhook: {event: a.b}}]
        """)
    assert names(decide(policy_set, {"text": "thank you"})) == ["n/unrated-or-good"]
    assert names(decide(policy_set, {"text": "hi", "rating": 2})) == ["n/no-thanks"]
    assert names(decide(policy_set, {"kind": "like", "extra": {"vip": 1}})) == ["n/unrated-or-good"]
    assert names(decide(policy_set, {"kind": "like", "extra": {"vip": True}})) == [
        "n/unrated-or-good", "n/vip"]
    assert names(decide(policy_set, {"kind": "like", "author": {"followers": 5000, "verified": True}})) == [
        "n/unrated-or-good", "n/vip"]


def test_keywords_match_whole_words_in_any_script(tmp_path, decide):
    policy_set = policies(tmp_path, w="""
        policy: w
        rules:
          - {name: cafe, when: {text: [café]}, then: [{crm.webhook: {event: a.b}}]}
          - {name: refund-zh, when: {text: [退款]}, then: [{crm.webhook: {event: a.b}}]}
          - {name: phrase, when: {text: {contains_all: ["not working", спасибо]}}, then: [{crm.webhook: {event: a.b}}]}
        """)
    assert names(decide(policy_set, {"text": "Le CAFE était froid"})) == ["w/cafe"]
    assert names(decide(policy_set, {"text": "cafeteria"})) == []
    assert names(decide(policy_set, {"text": "我要 退款"})) == ["w/refund-zh"]
    assert names(decide(policy_set, {"text": "App NOT working... Спасибо"})) == ["w/phrase"]
    assert names(decide(policy_set, {"text": "not, working спасибо"})) == ["w/phrase"]
    assert names(decide(policy_set, {"text": "working not спасибо"})) == []


def test_explain_shows_every_rule_and_each_condition(tmp_path):
    policy_set = policies(tmp_path, ordered=ORDERED)
    fact = fact_from_event({"text": "I want a refund"})
    explained = explain(policy_set, fact)
    assert [(e.rule, e.matched, e.fired) for e in explained] == [
        ("runs-first", True, True), ("stopper", True, True), ("written-first", True, False),
        ("after-stop", True, False)]
    text = render_explanation(explained)
    assert "✓ text contains \"refund\"" in text
    assert "matched, but an earlier rule with `stop: true` ended this policy" in text
    assert "→ create a urgent-priority Zendesk ticket" in text
    like = explain(policy_set, fact_from_event({"kind": "like"}))
    assert like[0].lines() == [(False, "kind like is not mention", 0)]
