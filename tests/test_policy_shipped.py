"""The shipped policies and their tests, and the policy test runner itself."""
import shutil
from pathlib import Path

from engine.policy import load_policy_set, run_policy_tests

POLICIES = Path(__file__).resolve().parent.parent / "policies"


def test_the_shipped_policy_tests_all_pass():
    report = run_policy_tests(POLICIES)
    assert report.passed, report.render()
    files = {Path(case.file).name for case in report.cases}
    assert files == {"complaints_test.yaml", "enquiries_test.yaml", "referrals_test.yaml",
                     "appreciation_test.yaml"}
    assert len(report.cases) >= 25


def test_the_shipped_policies_use_only_the_documented_actions():
    policy_set = load_policy_set(POLICIES)
    assert sorted(p.name for p in policy_set.policies) == [
        "appreciation", "complaints", "enquiries", "referrals"]
    used = {spec.type for p in policy_set.policies for r in p.rules for spec in r.then}
    assert used == {"zendesk.ticket", "loyalty.credit", "crm.webhook"}
    assert all("handbook" in p.description for p in policy_set.policies)


def test_the_enquiries_catch_all_is_a_final_fallback_rule():
    enquiries = load_policy_set(POLICIES).policy("enquiries")
    catch_all = enquiries.rules[-1]
    assert catch_all.fallback and catch_all.tickets
    assert catch_all.then[0].params["priority"] == "normal"


def test_referral_rewards_are_keyed_per_referred_person():
    referrals = load_policy_set(POLICIES).policy("referrals")
    [credit] = [s for r in referrals.rules for s in r.then if s.type == "loyalty.credit"]
    assert credit.params["key"] == "per_referred"


def test_a_failing_case_says_what_fired_and_which_condition_failed(tmp_path):
    for name in ("complaints", "enquiries", "appreciation", "referrals"):
        shutil.copy(POLICIES / f"{name}.yaml", tmp_path)
    (tmp_path / "complaints_test.yaml").write_text(
        "cases:\n"
        "  - name: a polite question is wrongly expected to be a complaint\n"
        "    event: {text: 'do you open on Sundays?'}\n"
        "    expect: {rules: [public-complaint], not: [enquiries/question]}\n")
    report = run_policy_tests(tmp_path)
    assert not report.passed
    [case] = report.cases
    assert (case.line, case.passed) == (2, False)
    assert "expected complaints/public-complaint to fire; it did not:" in case.message
    assert "✓ kind mention in [mention, comment, reply, …]" in case.message
    assert "✗ signals.is_complaint false is not true" in case.message
    assert "expected enquiries/question not to fire; it fired: " in case.message
    assert "fired: enquiries/question" in case.message
    rendered = report.render()
    assert "complaints_test.yaml:2: FAIL a polite question" in rendered
    assert rendered.endswith("0 passed, 1 failed")


def test_test_files_with_unknown_rules_or_fields_are_errors(tmp_path):
    shutil.copy(POLICIES / "referrals.yaml", tmp_path)
    (tmp_path / "referrals_test.yaml").write_text(
        "cases:\n"
        "  - name: typo in the rule\n"
        "    event: {kind: referral, refered: {email: a@b.c}}\n"
        "    expect: {rules: [referral-confirmd]}\n")
    report = run_policy_tests(tmp_path)
    assert not report.passed
    messages = [str(e) for e in report.errors]
    assert any("the event has no field `refered` (did you mean `referred`?)" in m for m in messages)
    assert any(":4:22: no rule `referrals/referral-confirmd` is loaded "
               "(did you mean `referrals/referral-confirmed`?)" in m for m in messages)


def test_broken_policies_are_reported_instead_of_tested(tmp_path):
    (tmp_path / "x.yaml").write_text("policy: x\nrules: [{name: r, when: {knd: like}, then: []}]\n")
    report = run_policy_tests(tmp_path)
    assert not report.passed and report.cases == []
    assert "unknown condition `knd` (did you mean `kind`?)" in report.render()
