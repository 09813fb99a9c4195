"""Load a folder of policy files, collecting every error with its file, line and column."""
import hashlib
import re
from pathlib import Path

from marshmallow import ValidationError
from yaml.nodes import Node, ScalarNode

from engine.policy.calendar import BusinessHours, load_business_hours
from engine.policy.clauses import parse_then, parse_when
from engine.policy.errors import (BadParameter, DuplicatePolicy, DuplicateRule, PolicyError,
                                  PolicyErrors, PolicySyntaxError, TooManyRules)
from engine.policy.model import DEFAULT_PRIORITY, Policy, PolicySet, Rule, policy_files
from engine.policy.source import Source, where

MAX_RULES = 500
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
NAME_HINT = "lower-case letters, digits, `-` and `_`, starting with a letter"
POLICY_KEYS = ("policy", "description", "business_hours", "rules")
RULE_KEYS = ("name", "description", "priority", "stop", "fallback", "labels", "when", "then")


def load_policy_set(folder) -> PolicySet:
    """Load and validate every policy of a folder (or one file); raise PolicyErrors on any error."""
    policy_set, errors = _load(folder)
    if errors:
        raise PolicyErrors(errors)
    return policy_set


def validate_folder(folder) -> list[PolicyError]:
    """Return every error in a folder's policies (empty when they are all valid)."""
    return _load(folder)[1]


def _load(folder) -> tuple[PolicySet, list[PolicyError]]:
    folder = Path(folder)
    if not folder.exists():
        return PolicySet([], str(folder)), [PolicyError("no such policy folder or file", str(folder))]
    files = policy_files(folder)
    if not files:
        return PolicySet([], str(folder)), [PolicyError("no policy files (*.yaml) here", str(folder))]
    policies, errors, seen = [], [], {}
    for path in files:
        policy, file_errors = load_policy_file(path)
        errors.extend(sorted(file_errors, key=lambda e: (e.line or 0, e.column or 0)))
        if policy is None:
            continue
        if policy.name in seen:
            errors.append(DuplicatePolicy(f"policy `{policy.name}` is also declared in {seen[policy.name]}",
                                          str(path), policy.line, 1))
            continue
        seen[policy.name] = str(path)
        policies.append(policy)
    return PolicySet(policies, str(folder)), errors


def load_policy_file(path) -> tuple[Policy | None, list[PolicyError]]:
    """Load one policy file; return the policy (None on errors) and its errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [PolicySyntaxError(f"cannot read the file: {exc}", str(path))]
    return parse_policy(text, str(path))


def parse_policy(text: str, path: str) -> tuple[Policy | None, list[PolicyError]]:
    """Validate a policy's text; return the policy (None on errors) and every error found."""
    src = Source(path, text)
    root = src.compose()
    if root is None:
        return None, src.errors
    entries = src.mapping(root, "a policy file")
    if entries is None:
        return None, src.errors
    src.check_keys(root, entries, POLICY_KEYS, "a policy file", required=("policy", "rules"))
    found = {key: value for key, _, value in entries}
    name = _name(src, found.get("policy"), "policy name")
    description = _text(src, found.get("description"), "`description`")
    if "business_hours" in found:
        src.context["business_hours"] = _business_hours(src, found["business_hours"])
    rules = _rules(src, found["rules"]) if "rules" in found else []
    if src.errors:
        return None, src.errors
    version = hashlib.sha1(text.encode("utf-8")).hexdigest()[:7]
    return Policy(name, version, path, rules, description, where(found["policy"])[0]), []


def _business_hours(src: Source, node: Node) -> BusinessHours | None:
    try:
        return load_business_hours(src.plain(node))
    except ValidationError as exc:
        src.report_validation(node, exc.messages, "`business_hours`", BadParameter)
        return None


def _rules(src: Source, node: Node) -> list[Rule]:
    items = src.sequence(node, "`rules`")
    if items is None:
        return []
    if not items:
        src.error(PolicySyntaxError, node, "`rules` needs at least one rule")
    if len(items) > MAX_RULES:
        src.error(TooManyRules, node, f"{len(items)} rules in one policy; the rules engine "
                  f"takes at most {MAX_RULES}: split the policy into several files")
    rules, lines = [], {}
    for index, item in enumerate(items):
        rule = _rule(src, item, index)
        if rule is None:
            continue
        if rule.name in lines:
            src.error(DuplicateRule, item, f"rule `{rule.name}` is already defined at line "
                      f"{lines[rule.name]}; decisions name rules, so names must differ")
            continue
        lines[rule.name] = rule.line
        rules.append(rule)
    return rules


def _rule(src: Source, node: Node, index: int) -> Rule | None:
    before = len(src.errors)
    entries = src.mapping(node, "a rule")
    if entries is None:
        return None
    src.check_keys(node, entries, RULE_KEYS, "a rule", required=("name", "when", "then"))
    found = {key: value for key, _, value in entries}
    name = _name(src, found.get("name"), "rule name")
    fallback = _flag(src, found.get("fallback"), "fallback")
    stop = _flag(src, found.get("stop"), "stop")
    priority = _priority(src, found.get("priority"))
    labels = _labels(src, found.get("labels"))
    description = _text(src, found.get("description"), "`description`")
    when = parse_when(src, found["when"], fallback) if "when" in found else None
    then = parse_then(src, found["then"]) if "then" in found else None
    if then == [] and not labels:
        src.error(BadParameter, found["then"], "`then` is empty: give an action, or labels "
                  "for fallback rules to read")
    if len(src.errors) > before:
        return None
    return Rule(name, when, then, tuple(labels), stop, fallback, priority, where(node)[0],
                index, description)


def _name(src: Source, node: Node | None, what: str) -> str | None:
    if node is None:
        return None
    if not isinstance(node, ScalarNode) or not NAME.match(str(node.value)):
        src.error(PolicySyntaxError, node, f"{what} `{getattr(node, 'value', '')}` must be "
                  f"{NAME_HINT}, at most 64 characters")
        return None
    return str(node.value)


def _text(src: Source, node: Node | None, what: str) -> str | None:
    if node is None:
        return None
    value = src.plain(node)
    if not isinstance(value, str):
        src.error(PolicySyntaxError, node, f"{what} must be text")
        return None
    return value


def _flag(src: Source, node: Node | None, what: str) -> bool:
    if node is None:
        return False
    value = src.plain(node)
    if not isinstance(value, bool):
        src.error(BadParameter, node, f"`{what}` must be true or false")
        return False
    return value


def _priority(src: Source, node: Node | None) -> int:
    if node is None:
        return DEFAULT_PRIORITY
    value = src.plain(node)
    if isinstance(value, bool) or not isinstance(value, int):
        src.error(BadParameter, node, "`priority` must be a whole number (lower runs first)")
        return DEFAULT_PRIORITY
    return value


def _labels(src: Source, node: Node | None) -> list[str]:
    if node is None:
        return []
    items = src.sequence(node, "`labels`")
    labels = []
    for item in items or []:
        if not isinstance(item, ScalarNode) or not NAME.match(str(item.value)):
            src.error(BadParameter, item, f"label `{getattr(item, 'value', '')}` must be {NAME_HINT}")
            continue
        labels.append(str(item.value))
    return labels
