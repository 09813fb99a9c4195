"""The rules engine thread: decisions from many threads, atomic reloads, closing."""
import threading

import pytest

from engine.policy import RulesEngine, load_policy_set
from engine.policy.errors import UnknownCondition
from engine.policy.facts import fact_from_event
from engine.policy.host import PoliciesChanged

V1 = """policy: complaints
rules:
  - name: refund
    when: {text: refund}
    then: [{zendesk.ticket: {priority: high}}]
"""
V2 = V1.replace("refund}", "broken}").replace("name: refund", "name: broken")
BROKEN = V1.replace("text: refund", "txet: refund")


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "complaints.yaml").write_text(V1)
    return tmp_path


def fired(engine, text):
    return [m.name for m in engine.decide(fact_from_event({"text": text}))]


def test_a_broken_edit_leaves_the_running_policies_in_place(folder):
    with RulesEngine(load_policy_set(folder)) as engine:
        version = engine.policy_set.policies[0].version
        (folder / "complaints.yaml").write_text(BROKEN)
        errors = engine.reload()
        assert [type(e) for e in errors] == [UnknownCondition]
        assert str(errors[0]).endswith("complaints.yaml:4:12: unknown condition `txet` "
                                       "(did you mean `text`?)")
        assert engine.policy_set.policies[0].version == version
        assert fired(engine, "I want a refund") == ["complaints/refund"]


def test_a_good_edit_is_swapped_in(folder):
    with RulesEngine(load_policy_set(folder)) as engine:
        old = engine.policy_set.policies[0].version
        (folder / "complaints.yaml").write_text(V2)
        assert engine.reload(folder) == []
        assert engine.policy_set.policies[0].version != old
        assert fired(engine, "I want a refund") == []
        assert fired(engine, "it is broken") == ["complaints/broken"]
        # Reloading the same text again registers fresh rulesets and still works.
        assert engine.reload(folder) == []
        assert fired(engine, "it is broken") == ["complaints/broken"]


def test_decisions_from_many_threads_are_served_in_turn(folder):
    results, errors = [], []
    with RulesEngine(load_policy_set(folder)) as engine:
        def work(n):
            try:
                text = "refund please" if n % 2 else "hello"
                results.append((n, fired(engine, text)))
            except Exception as exc:  # collected: a failure must fail the test, not vanish
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(results) == [(n, ["complaints/refund"] if n % 2 else []) for n in range(40)]


def test_facts_decided_together_are_decided_as_one_by_one(folder):
    texts = ["refund please", "hello", None, "REFUND", "refunds"] * 7
    facts = [fact_from_event({"id": str(n), "text": t}) for n, t in enumerate(texts)]
    with RulesEngine(load_policy_set(folder)) as engine:
        together = [[(m.name, m.why) for m in matches] for matches in engine.decide_many(facts)]
        alone = [[(m.name, m.why) for m in engine.decide(fact)] for fact in facts]
    assert together == alone
    assert [bool(m) for m in together] == [t in ("refund please", "REFUND") for t in texts]


def test_a_fact_built_for_replaced_policies_is_refused(folder):
    with RulesEngine(load_policy_set(folder)) as engine:
        before = engine.policy_set
        (folder / "complaints.yaml").write_text(V2)
        assert engine.reload() == []
        with pytest.raises(PoliciesChanged):
            engine.decide(fact_from_event({"text": "refund"}), before)
        assert [m.name for m in engine.decide(fact_from_event({"text": "broken"}),
                                              engine.policy_set)] == ["complaints/broken"]


def test_a_closed_engine_refuses_work(folder):
    engine = RulesEngine(load_policy_set(folder))
    engine.close()
    with pytest.raises(RuntimeError):
        engine.decide(fact_from_event({"text": "refund"}))
    engine.close()


def test_a_policy_with_many_matching_rules_is_decided(tmp_path):
    # durable_rules fails when more than 64 rules of one ruleset match: chunks prevent it.
    rules = "".join(f"  - {{name: r{i}, when: {{kind: mention}}, then: [{{zendesk.ticket: {{}}}}]}}\n"
                    for i in range(200))
    (tmp_path / "many.yaml").write_text("policy: many\nrules:\n" + rules)
    with RulesEngine(load_policy_set(tmp_path)) as engine:
        assert len(engine.decide(fact_from_event({}))) == 200


def test_workers_pick_up_an_edit_and_keep_the_running_policies_on_a_broken_one(tmp_path):
    import shutil

    from engine.runtime import Runtime
    from engine.settings import Settings, shipped_policies_dir
    for path in shipped_policies_dir().glob("*.yaml"):
        shutil.copy(path, tmp_path)
    runtime = Runtime(Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}", policies=tmp_path))
    try:
        before = {p.name: p.version for p in runtime.rules().policy_set.policies}
        complaints = tmp_path / "complaints.yaml"
        complaints.write_text(complaints.read_text().replace("priority: high", "priority: urgent"))
        runtime._next_policy_check = 0
        runtime.reload_if_changed()
        after = {p.name: p.version for p in runtime.rules().policy_set.policies}
        assert after["complaints"] != before["complaints"] and runtime.reload_errors == []

        complaints.write_text(complaints.read_text().replace("when:", "whenn:", 1))
        runtime._next_policy_check = 0
        runtime.reload_if_changed()
        assert runtime.reload_errors and "complaints.yaml" in str(runtime.reload_errors[0])
        assert {p.name: p.version for p in runtime.rules().policy_set.policies} == after
    finally:
        runtime.stop()
