"""The policy reference: generated from the registries, checked in, and every example loads."""
import re
from pathlib import Path
from textwrap import indent

import pytest
import yaml
from marshmallow import fields

from conftest import example_plugin
from engine.actions.registry import ACTIONS, action_types
from engine.cli import main
from engine.policy import conditions, factpaths, reference
from engine.policy.loader import POLICY_KEYS, RULE_KEYS, parse_policy

ROOT = Path(__file__).resolve().parents[1]
PROSE = ROOT / "engine" / "policy" / "reference.md"
STALE = "docs/policies.md is out of date; run goodwill reference > docs/policies.md"
# The other half of a rule around a condition's example, and around an action's.
THEN = "then: [{zendesk.ticket: {}}]"
WHEN = "when: {kind: mention}"


def section(text: str, title: str) -> str:
    """Return the part of the page under `### <title>`, up to the next heading."""
    start = text.index(f"\n### {title}\n")
    end = min(i for i in (text.find("\n## ", start + 1), text.find("\n### ", start + 1), len(text))
              if i != -1)
    return text[start:end]


def parameter_names(schema, prefix="") -> list[str]:
    names = []
    for name, param in schema.fields.items():
        shown = prefix + (param.data_key or name)
        names.append(shown)
        if isinstance(param, fields.Nested):
            names += parameter_names(param.schema, shown + ".")
    return names


def load_example(rule_part: str, rest: str, beside_rules: str | None = None):
    """Load an example through the real loader, inside the smallest policy around it."""
    lines = ["policy: example", *([beside_rules] if beside_rules else []),
             "rules:", "  - name: example", indent(rule_part, "    "), indent(rest, "    ")]
    return parse_policy("\n".join(lines) + "\n", "example.yaml")


def test_the_checked_in_reference_is_what_the_registries_generate():
    checked_in = (ROOT / reference.DOCS_PATH).read_text(encoding="utf-8")
    assert checked_in == reference.generate(), STALE


def test_goodwill_reference_check_says_how_to_regenerate(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / reference.DOCS_PATH).write_text("# an edit by hand\n", encoding="utf-8")
    assert main(["reference", "--check"]) == 1
    assert STALE in capsys.readouterr().err

    assert main(["reference"]) == 0
    (tmp_path / reference.DOCS_PATH).write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["reference", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_every_condition_appears_with_its_operators():
    text = reference.generate()
    for key in conditions.named():
        assert f"\n### `{key}`\n" in text, key
    for entry in reference.condition_entries():
        part = section(text, entry.title)
        for name in parameter_names(entry.subject.Params()):
            assert f"| `{name}` |" in part, (entry.title, name)
        for path in entry.paths:
            assert f"`{path}`" in part
    for prefix in conditions.FAMILIES:
        assert f"\n### `{prefix}." in text, prefix


def test_every_action_appears_with_its_parameters_defaults_and_choices():
    text = reference.generate()
    for name, action in action_types().items():
        part = section(text, f"`{name}`")
        for parameter in parameter_names(action.Params()):
            assert f"| `{parameter}` |" in part, (name, parameter)
    ticket = section(text, "`zendesk.ticket`")
    assert "| `priority` | text | default `normal` | one of `low`, `normal`, `high`, `urgent` |" in ticket
    assert "| `subject` | text template |" in ticket
    credit = section(text, "`loyalty.credit`")
    assert "| `burst.within` | text | required | must be a duration such as 90d, 12h or 30m |" in credit


def test_the_page_documents_every_policy_key_rule_key_and_template_field():
    text = reference.generate()
    for key in (*POLICY_KEYS, *RULE_KEYS):
        assert f"| `{key}` |" in text, key
    template_fields = text.split("\n## Fields of the event\n")[1]
    for path in factpaths.FIELD_TYPES:
        if factpaths.template_path_ok(path):
            assert f"| `{path}` |" in template_fields, path
    assert "decided.ticket` |" not in template_fields


@pytest.mark.parametrize("entry", reference.condition_entries(), ids=lambda e: e.title)
def test_each_condition_example_loads_and_uses_that_condition(entry):
    rule_part = reference.condition_example(entry)
    assert rule_part is not None, f"give {type(entry.subject).__name__} an `example`"
    policy, errors = load_example(rule_part, THEN, entry.example_policy)
    assert errors == [] and policy is not None, [str(e) for e in errors]
    written = yaml.safe_load(entry.example)
    assert any(type(conditions.resolve(key)) is type(entry.subject) for key in written)


@pytest.mark.parametrize("entry", reference.action_entries(), ids=lambda e: e.title)
def test_each_action_example_loads_and_uses_that_action(entry):
    rule_part = reference.action_example(entry)
    assert rule_part is not None, f"give {type(entry.subject).__name__} an `example`"
    policy, errors = load_example(rule_part, WHEN, entry.example_policy)
    assert errors == [] and policy is not None, [str(e) for e in errors]
    assert [spec.type for spec in policy.rules[0].then] == [entry.key]


def test_the_examples_in_the_prose_load():
    blocks = re.findall(r"```yaml\n(.*?)```", PROSE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 2
    for block in blocks:
        if block.startswith("policy:"):
            policy, errors = parse_policy(block, "prose.yaml")
        else:
            policy, errors = load_example(block.rstrip("\n"), WHEN)
        assert errors == [] and policy is not None, [str(e) for e in errors]


def test_a_plugin_condition_and_action_appear_with_examples_that_load(monkeypatch):
    plugin = example_plugin()
    monkeypatch.setattr(conditions, "_NAMED", dict(conditions._NAMED))
    conditions.register(plugin.Influencer)
    monkeypatch.setitem(ACTIONS, plugin.Shout.name, plugin.Shout())
    text = reference.generate()

    influencer = section(text, "`influencer`")
    assert "An author with a large audience" in influencer
    assert "| `followers` | whole number | required | the fewest followers that count |" in influencer
    assert "`influencer: VALUE` means `influencer: {followers: VALUE}`" in influencer
    assert "influencer: 10000" in influencer
    shout = section(text, "`team.shout`")
    assert "| `channel` | text | required | the channel, without # |" in shout

    entries = {e.key: e for e in reference.condition_entries() + reference.action_entries()}
    assert load_example(reference.condition_example(entries["influencer"]), THEN)[1] == []
    assert load_example(reference.action_example(entries["team.shout"]), WHEN)[1] == []
