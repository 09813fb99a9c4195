"""Run the policy tests that sit beside the policies: `<name>_test.yaml` next to `<name>.yaml`."""
# A test file holds `cases:`, each with a `name`, an `event` (any part of the enriched event;
# the rest is filled in) and what it `expect`s: `rules` that must fire and rules that must
# `not`. A rule is named `rule` (a rule of the policy beside the test file) or `policy/rule`.
# Cases run against every policy of the folder through the durable_rules engine, as
# production does.
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import Node

from engine.policy.errors import PolicyError, PolicyErrors, PolicySyntaxError, did_you_mean
from engine.policy.explain import explain
from engine.policy.facts import fact_from_event, unknown_keys
from engine.policy.host import RulesEngine
from engine.policy.loader import load_policy_set
from engine.policy.model import PolicySet, policy_files
from engine.policy.source import Source, where

CASE_KEYS = ("name", "event", "expect")
EXPECT_KEYS = ("rules", "not")


@dataclass
class CaseResult:
    """One case: where it is written, its name, and why it failed when it did."""

    file: str
    line: int | None
    name: str
    passed: bool
    message: str = ""


@dataclass
class TestReport:
    """Every case of every test file, and errors that stopped files from running."""

    cases: list[CaseResult] = field(default_factory=list)
    errors: list[PolicyError] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Tell whether every case passed and nothing stopped a file from running."""
        return not self.errors and all(case.passed for case in self.cases)

    def render(self) -> str:
        """Render the report for `goodwill test`."""
        out = [str(error) for error in self.errors]
        for case in self.cases:
            out.append(f"{case.file}:{case.line}: {'ok  ' if case.passed else 'FAIL'} {case.name}")
            out.extend(f"    {line}" for line in case.message.splitlines() if not case.passed)
        failed = sum(not case.passed for case in self.cases)
        out.append(f"{len(self.cases) - failed} passed, {failed} failed"
                   + (f", {len(self.errors)} error(s)" if self.errors else ""))
        return "\n".join(out)


@dataclass
class _Case:
    file: str
    line: int | None
    name: str
    event: dict
    policy: str
    expect: list[str]
    refuse: list[str]


def run_policy_tests(folder, policy_set: PolicySet | None = None) -> TestReport:
    """Run every `<name>_test.yaml` beside the policies of a folder.

    Given `policy_set` (the folder as already loaded), the cases run against exactly that
    set: a reload tests what it is about to swap in, not a later read of the files.
    """
    report = TestReport()
    if policy_set is None:
        try:
            policy_set = load_policy_set(folder)
        except PolicyErrors as exc:
            report.errors.extend(exc.errors)
            return report
    cases = []
    for test_file in _test_files(Path(folder)):
        cases.extend(_read_cases(test_file, policy_set, report.errors))
    if not cases:
        return report
    with RulesEngine(policy_set) as engine:
        for case in cases:
            report.cases.append(_run(engine, policy_set, case))
    return report


def _test_files(folder: Path) -> list[Path]:
    beside = [f.with_name(f"{f.stem}_test{f.suffix}") for f in policy_files(folder)]
    return [test_file for test_file in beside if test_file.exists()]


def _read_cases(path: Path, policy_set: PolicySet, errors: list) -> list[_Case]:
    src = Source(str(path), path.read_text(encoding="utf-8"))
    root = src.compose()
    entries = src.mapping(root, "a policy test file") if root is not None else None
    stem = path.stem[: -len("_test")]
    policy = next((p.name for p in policy_set.policies if Path(p.path).stem == stem), stem)
    items = []
    if entries is not None:
        src.check_keys(root, entries, ("cases",), "a policy test file", required=("cases",))
        found = {key: value for key, _, value in entries}
        if "cases" in found:
            items = src.sequence(found["cases"], "`cases`") or []
    cases = [_case(src, item, policy, policy_set) for item in items]
    errors.extend(src.errors)
    return [case for case in cases if case is not None]


def _case(src: Source, node: Node, policy: str, policy_set: PolicySet) -> _Case | None:
    before = len(src.errors)
    entries = src.mapping(node, "a case")
    if entries is None:
        return None
    src.check_keys(node, entries, CASE_KEYS, "a case", required=CASE_KEYS)
    found = {key: value for key, _, value in entries}
    name = str(src.plain(found["name"])) if "name" in found else "?"
    event = src.plain(found["event"]) if "event" in found else {}
    if not isinstance(event, dict):
        src.error(PolicySyntaxError, found["event"], "`event` must be a mapping of event fields")
        event = {}
    for key, candidates in unknown_keys(event):
        src.error(PolicySyntaxError, found["event"], f"the event has no field `{key}`",
                  did_you_mean(key, candidates))
    expect, refuse = [], []
    if "expect" in found:
        pairs = src.mapping(found["expect"], "`expect`") or []
        src.check_keys(found["expect"], pairs, EXPECT_KEYS, "`expect`")
        for key, _, value in pairs:
            names = _rule_names(src, value, policy, policy_set)
            (expect if key == "rules" else refuse).extend(names)
    if len(src.errors) > before:
        return None
    return _Case(src.path, where(node)[0], name, event, policy, expect, refuse)


def _rule_names(src: Source, node: Node, policy: str, policy_set: PolicySet) -> list[str]:
    items = src.sequence(node, "a list of rules") or []
    known, names = policy_set.rule_names(), []
    for item in items:
        raw = str(src.plain(item))
        full = raw if "/" in raw else f"{policy}/{raw}"
        if full not in known:
            src.error(PolicySyntaxError, item, f"no rule `{full}` is loaded", did_you_mean(full, known))
            continue
        names.append(full)
    return names


def _run(engine: RulesEngine, policy_set: PolicySet, case: _Case) -> CaseResult:
    fact = fact_from_event(case.event, policy_set.count_specs())
    fired = {match.name: match for match in engine.decide(fact)}
    problems = []
    for name in case.expect:
        if name not in fired:
            problems.append(f"expected {name} to fire; it did not:")
            problems.extend(_conditions(policy_set, fact, name))
    for name in case.refuse:
        if name in fired:
            problems.append(f"expected {name} not to fire; it fired: {fired[name].why}")
    if problems:
        problems.append("fired: " + (", ".join(fired) or "nothing"))
    return CaseResult(case.file, case.line, case.name, not problems, "\n".join(problems))


def _conditions(policy_set: PolicySet, fact: dict, name: str) -> list[str]:
    for item in explain(policy_set, fact):
        if f"{item.policy}/{item.rule}" == name:
            lines = [f"  {'    ' * depth}{'✓' if ok else '✗'} {text}" for ok, text, depth in item.lines()]
            return lines + ([f"  {item.note}"] if item.note else [])
    return []
