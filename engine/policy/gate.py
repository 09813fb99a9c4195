"""The gate before policies may run: the folder loads, validates, and passes its own tests."""
from dataclasses import dataclass

from engine.policy.errors import PolicyError, PolicyErrors, PolicyTestFailed
from engine.policy.loader import load_policy_set
from engine.policy.model import PolicySet
from engine.policy.testing import TestReport, run_policy_tests


@dataclass
class CheckedFolder:
    """A policy folder as loaded, its test report, and everything that keeps it from running."""

    folder: str
    policy_set: PolicySet | None
    tests: TestReport | None
    errors: list[PolicyError]

    @property
    def passed(self) -> bool:
        """Tell whether these policies may replace the running ones."""
        return self.policy_set is not None and not self.errors


def check_folder(folder) -> CheckedFolder:
    """Load and validate a folder, then run its policy tests against exactly what was loaded."""
    try:
        policy_set = load_policy_set(folder)
    except PolicyErrors as exc:
        return CheckedFolder(str(folder), None, None, exc.errors)
    try:
        report = run_policy_tests(folder, policy_set)
    except Exception as exc:  # the rules engine refused what validation let through
        error = PolicyError(f"the policy tests could not run: {exc}", str(folder))
        return CheckedFolder(str(folder), policy_set, None, [error])
    return CheckedFolder(str(folder), policy_set, report, failures_of(report))


def failures_of(report: TestReport) -> list[PolicyError]:
    """Return what stopped test files from running and each failing case, as located errors."""
    failed = [PolicyTestFailed(f"policy test failed: {case.name}: "
                               f"{case.message.splitlines()[0] if case.message else 'failed'}",
                               case.file, case.line)
              for case in report.cases if not case.passed]
    return [*report.errors, *failed]
