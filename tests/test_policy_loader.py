"""Loading policies: every error at once, located at file:line:column, with a suggestion."""
import hashlib
import textwrap
from pathlib import Path

import pytest

from engine.policy import PolicyErrors, load_policy_set, validate_folder
from engine.policy.errors import (BadParameter, DuplicatePolicy, DuplicateRule, PolicySyntaxError,
                                  TooManyRules, UnknownAction, UnknownCondition, UnknownField,
                                  UnknownOperator)
from engine.policy.loader import MAX_RULES


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def errors_of(folder):
    return [(type(e), e.line, e.column, e.suggestion) for e in validate_folder(folder)]


def test_every_mistake_is_reported_at_once_with_its_line_column_and_suggestion(tmp_path):
    path = write(tmp_path, "complaints.yaml", """
        policy: complaints
        rules:
          - name: public-complaint
            when:
              sentimnet: {below: -0.3}
              kind: [mentoin, comment]
              rating: {belw: 2}
            then:
              - zendesk.tikcet: {priority: high}
              - zendesk.ticket: {priority: hihg}
        """)
    found = errors_of(tmp_path)
    assert found == [
        (UnknownCondition, 5, 7, "sentiment"),
        (BadParameter, 6, 14, "mention"),
        (UnknownOperator, 7, 16, "below"),
        (UnknownAction, 9, 9, "zendesk.ticket"),
        (BadParameter, 10, 36, "high"),
    ]
    first = str(validate_folder(tmp_path)[0])
    assert first == f"{path}:5:7: unknown condition `sentimnet` (did you mean `sentiment`?)"


def test_load_raises_all_errors_together(tmp_path):
    write(tmp_path, "a.yaml", """
        policy: a
        rules:
          - name: one
            when: {kind: mention, text: {contains_any: ["!!!"]}}
            then: [{zendesk.ticket: {priority: high, prio: 1}}]
        """)
    with pytest.raises(PolicyErrors) as caught:
        load_policy_set(tmp_path)
    messages = [str(e) for e in caught.value.errors]
    assert len(messages) == 2
    assert "has no letter or digit" in messages[0]
    assert "`prio` is not something it takes (did you mean `priority`?)" in messages[1]


def test_yaml_syntax_error_points_where_parsing_stopped(tmp_path):
    write(tmp_path, "broken.yaml", """
        policy: broken
        rules:
          - name: one
            when: {kind: mention
            then: []
        """)
    [error] = validate_folder(tmp_path)
    assert isinstance(error, PolicySyntaxError)
    assert error.line == 5 and "not valid YAML" in error.message


def test_a_policy_over_500_rules_is_refused(tmp_path):
    rules = "".join(f"  - name: r{i}\n    when: {{kind: mention}}\n"
                    f"    then: [{{zendesk.ticket: {{priority: low}}}}]\n" for i in range(MAX_RULES + 1))
    (tmp_path / "big.yaml").write_text("policy: big\nrules:\n" + rules)
    [error] = validate_folder(tmp_path)
    assert isinstance(error, TooManyRules)
    assert (error.line, error.column) == (3, 3)
    assert "501 rules" in error.message


def test_exactly_500_rules_load(tmp_path):
    rules = "".join(f"  - name: r{i}\n    when: {{kind: mention}}\n"
                    f"    then: [{{zendesk.ticket: {{priority: low}}}}]\n" for i in range(MAX_RULES))
    (tmp_path / "big.yaml").write_text("policy: big\nrules:\n" + rules)
    assert len(load_policy_set(tmp_path).policies[0].rules) == MAX_RULES


def test_templates_may_only_show_fields_of_the_event(tmp_path):
    write(tmp_path, "t.yaml", """
        policy: t
        rules:
          - name: thanks
            when: {kind: mention}
            then:
              - loyalty.credit: {points: 5, note: "Thanks {author.nmae}!"}
              - zendesk.ticket: {subject: "From {author.handle} ({history.complaints_30d} before)"}
              - zendesk.ticket: {note: "{decided.ticket}"}
        """)
    errors = validate_folder(tmp_path)
    assert [(type(e), e.line, e.suggestion) for e in errors] == [
        (UnknownField, 6, "author.name"), (UnknownField, 8, None)]
    assert "shows `{author.nmae}`, which is not a field of the event" in errors[0].message


def test_template_fields_count_as_history_fields(tmp_path):
    write(tmp_path, "t.yaml", """
        policy: t
        rules:
          - name: counted
            when: {history.mentions_7d: {at_least: 3}}
            then: [{zendesk.ticket: {note: "{history.reviews_90d} reviews"}}]
        """)
    assert load_policy_set(tmp_path).history_fields() == {"mentions_7d", "reviews_90d"}


def test_decided_is_only_for_fallback_rules(tmp_path):
    write(tmp_path, "f.yaml", """
        policy: f
        rules:
          - name: early
            when: {decided.ticket: false}
            then: [{zendesk.ticket: {}}]
          - name: late
            fallback: true
            when: {decided.ticket: false}
            then: [{zendesk.ticket: {}}]
        """)
    [error] = validate_folder(tmp_path)
    assert error.line == 4 and "fallback: true" in error.message


def test_duplicate_rules_keys_and_policies_are_refused(tmp_path):
    write(tmp_path, "a.yaml", """
        policy: shared
        rules:
          - name: same
            when: {kind: mention}
            then: [{zendesk.ticket: {}}]
          - name: same
            when: {kind: comment, kind: review}
            then: [{zendesk.ticket: {}}]
          - name: same
            when: {kind: like}
            then: [{zendesk.ticket: {}}]
        """)
    write(tmp_path, "b.yaml", """
        policy: shared
        rules:
          - name: other
            when: {kind: mention}
            then: [{zendesk.ticket: {}}]
        """)
    found = [(type(e), Path(e.file).name, e.line) for e in validate_folder(tmp_path)]
    assert found == [(PolicySyntaxError, "a.yaml", 7), (DuplicateRule, "a.yaml", 9)]
    write(tmp_path, "a.yaml", "policy: shared\nrules:\n  - {name: x, when: {kind: like}, then: [{zendesk.ticket: {}}]}\n")
    [error] = validate_folder(tmp_path)
    assert isinstance(error, DuplicatePolicy) and error.file.endswith("b.yaml") and error.line == 1


def test_unknown_keys_and_bad_names_are_reported(tmp_path):
    write(tmp_path, "k.yaml", """
        policy: Complaints Policy
        rulez: []
        """)
    messages = [str(e) for e in validate_folder(tmp_path)]
    assert any("policy name `Complaints Policy` must be lower-case" in m for m in messages)
    assert any("unknown key `rulez` in a policy file (did you mean `rules`?)" in m for m in messages)
    assert any("a policy file needs `rules`" in m for m in messages)


def test_anchors_and_merge_keys_share_conditions_between_rules(tmp_path):
    write(tmp_path, "m.yaml", """
        policy: m
        rules:
          - name: base
            when: &shared {kind: [mention, comment], sentiment: {below: -0.3}}
            then: [{zendesk.ticket: {priority: high}}]
          - name: more
            when:
              <<: *shared
              history.complaints_30d: {at_least: 2}
            then: [{zendesk.ticket: {priority: urgent}}]
        """)
    policy = load_policy_set(tmp_path).policies[0]
    assert [leaf.condition.path for leaf in policy.rules[1].when.leaves()] == [
        "kind", "sentiment", "history.complaints_30d"]


def test_version_is_the_hash_of_the_file_text(tmp_path):
    path = write(tmp_path, "v.yaml", """
        policy: v
        rules:
          - {name: r, when: {kind: like}, then: [{zendesk.ticket: {}}]}
        """)
    policy = load_policy_set(tmp_path).policies[0]
    assert policy.version == hashlib.sha1(path.read_bytes()).hexdigest()[:7]


def test_missing_or_empty_folders_are_errors(tmp_path):
    assert "no such policy folder" in str(validate_folder(tmp_path / "nowhere")[0])
    assert "no policy files" in str(validate_folder(tmp_path)[0])


def test_params_keep_what_was_given_and_the_defaults_that_matter(tmp_path):
    write(tmp_path, "p.yaml", """
        policy: p
        rules:
          - name: r
            when: {kind: referral}
            then:
              - zendesk.ticket: {priority: high, tags: [a]}
              - loyalty.credit: {points: 50, key: per_referred}
        """)
    ticket, credit = load_policy_set(tmp_path).policies[0].rules[0].then
    assert (ticket.params["priority"], ticket.params["tags"]) == ("high", ["a"])
    assert (credit.params["points"], credit.params["key"]) == (50, "per_referred")
    # Optional parameters left out stay out: merging tickets keeps the first one given.
    assert "group" not in ticket.params and "voucher" not in credit.params
    assert (ticket.type, ticket.line) == ("zendesk.ticket", 6)
