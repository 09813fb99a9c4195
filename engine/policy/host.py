"""The rules engine: compiled policies in a durable_rules host that one dedicated thread owns."""
import copy
import itertools
import json
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

import durable_rules_engine
from durable.engine import Host, MessageNotHandledException

from engine.policy.compiler import (WARMUP_RULE, CompiledRuleset, compile_policy_set,
                                    durable_fact, warmup_fact)
from engine.policy.decide import decide_many
from engine.policy.errors import PolicyError
from engine.policy.model import Match, PolicySet

if TYPE_CHECKING:
    from engine.policy.gate import CheckedFolder


SID = "goodwill"


STALE = "the policies were reloaded while the event was enriched"


def _runs(requests: list, function) -> list[list]:
    """Group queued requests into runs: consecutive calls of `function` together, others alone."""
    runs: list[list] = []
    for request in requests:
        joins = runs and request is not None and runs[-1][0] is not None \
            and request[0] == function and runs[-1][0][0] == function
        if joins:
            runs[-1].append(request)
        else:
            runs.append([request])
    return runs


def _raise_error(error, _state) -> None:
    if error:
        raise error


class PoliciesChanged(RuntimeError):
    """The policies in force are no longer the ones a fact was built for."""


class _ThreadlessHost(Host):
    """A durable_rules host that starts no timer threads: the engine thread drives it."""

    def _run(self):
        pass


@dataclass
class _Loaded:
    policy_set: PolicySet
    rulesets: dict[bool, list[CompiledRuleset]]    # by pass: fallback or not


class RulesEngine:
    """Decide on facts with durable_rules; every call is served in order by one thread."""

    def __init__(self, policy_set: PolicySet, timeout: float = 30.0):
        self.timeout = timeout
        self._requests: queue.Queue = queue.Queue()
        self._serials = itertools.count(1)
        self._ids = itertools.count(1)
        self._hits: list[tuple[str, str]] = []
        self._loaded: _Loaded | None = None
        self._closed = False
        self._host = None
        self._thread = threading.Thread(target=self._serve, name="goodwill-rules", daemon=True)
        self._thread.start()
        try:
            self._call(self._install, policy_set)
        except BaseException:
            self.close()
            raise

    @property
    def policy_set(self) -> PolicySet:
        """Return the policies in force."""
        return self._loaded.policy_set

    def decide(self, fact: dict, policy_set: PolicySet | None = None) -> list[Match]:
        """Return the rules that fire on an enriched event, with why each matched.

        Given the policy set the fact was built for, raise PoliciesChanged when a reload
        swapped it out meanwhile (the fact may lack counts the new policies read).
        """
        return self.decide_many([fact], policy_set)[0]

    def decide_many(self, facts: list[dict], policy_set: PolicySet | None = None) -> list[list[Match]]:
        """Decide on several facts; the engine thread asserts them together, pass by pass."""
        return self._call(self._decide_many, facts, policy_set)

    def reload(self, folder=None) -> list[PolicyError]:
        """Swap in a folder (default: the current one) if it is valid and passes its tests.

        Return what kept it out (validation errors, failing tests); the old policies then stay.
        """
        # The gate runs the tests in a RulesEngine of its own: imported here, not at the top.
        from engine.policy.gate import check_folder
        return self.swap_in(check_folder(folder or self.policy_set.folder))

    def swap_in(self, checked: "CheckedFolder") -> list[PolicyError]:
        """Swap in a checked folder in one step between two decisions, if it passed the gate."""
        if not checked.passed:
            return checked.errors
        try:
            self._call(self._install, checked.policy_set)
        except Exception as exc:  # the engine refused what validation let through: keep the old
            return [PolicyError(f"the rules engine refused these policies: {exc}", checked.folder)]
        return []

    def close(self) -> None:
        """Stop the engine thread; later calls raise RuntimeError."""
        if not self._closed:
            self._closed = True
            self._requests.put(None)
            self._thread.join(timeout=self.timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _call(self, function, *args):
        if self._closed:
            raise RuntimeError("the rules engine is closed")
        future: Future = Future()
        self._requests.put((function, args, future))
        return future.result(timeout=self.timeout)

    def _serve(self) -> None:
        self._host = _ThreadlessHost()
        while True:
            requests = [self._requests.get()]
            # Decisions queued by several workers meanwhile are made together: durable_rules
            # asserts a batch of facts for little more than the cost of one.
            while not self._requests.empty():
                requests.append(self._requests.get())
            for group in _runs(requests, self._decide_many):
                if group[0] is None:
                    return
                self._serve_group(group)

    def _serve_group(self, group: list) -> None:
        live = [r for r in group if r[2].set_running_or_notify_cancel()]
        if not live:
            return
        function = live[0][0]
        try:
            if function == self._decide_many and len(live) > 1:
                self._decide_together(live)
                return
            for function, args, future in live:
                future.set_result(function(*args))
        except BaseException as exc:  # hand every failure to the callers, keep serving
            for _, _, future in live:
                if not future.done():
                    future.set_exception(exc)

    def _decide_together(self, live: list) -> None:
        current = [r for r in live if r[1][1] in (None, self._loaded.policy_set)]
        for _, _, future in live:
            if not any(future is r[2] for r in current):
                future.set_exception(PoliciesChanged(STALE))
        if not current:
            return
        facts = [fact for _, (batch, _), _ in current for fact in batch]
        results = self._decide_many(facts, None)
        start = 0
        for _, (batch, _), future in current:
            future.set_result(results[start:start + len(batch)])
            start += len(batch)

    def _install(self, policy_set: PolicySet) -> None:
        compiled = compile_policy_set(policy_set, next(self._serials))
        definitions = {}
        for ruleset in compiled:
            # durable_rules takes the `run` callables out of the dict it is given: copy.
            definition = copy.deepcopy(ruleset.definition)
            for name, body in definition.items():
                body["run"] = self._recorder(name)
            definitions[ruleset.name] = definition
        if definitions:
            self._host.set_rulesets(definitions)
        for ruleset in compiled:
            self._evaluate(ruleset.name, warmup_fact(SID, f"warmup-{next(self._ids)}"))
        by_pass: dict[bool, list[CompiledRuleset]] = {False: [], True: []}
        for ruleset in compiled:
            by_pass[ruleset.fallback].append(ruleset)
        self._loaded = _Loaded(policy_set, by_pass)

    def _recorder(self, name: str):
        # Exactly one parameter: durable_rules runs a two-parameter callable as async.
        def record(c):
            if name != WARMUP_RULE:
                self._hits.append((name, c.m["id"]))
        return record

    def _decide_many(self, facts: list[dict], expected: PolicySet | None) -> list[list[Match]]:
        loaded = self._loaded
        if expected is not None and loaded.policy_set is not expected:
            raise PoliciesChanged(STALE)

        def matching(batch: list[dict], fallback: bool) -> list[set[tuple[int, int]]]:
            found: list[set[tuple[int, int]]] = [set() for _ in batch]
            for ruleset in loaded.rulesets[fallback]:
                for position, hits in enumerate(self._assert(ruleset, batch)):
                    found[position] |= hits
            return found

        return decide_many(loaded.policy_set, facts, matching)

    def _assert(self, ruleset: CompiledRuleset, facts: list[dict]) -> list[set[tuple[int, int]]]:
        """Assert facts into one ruleset together; return the rules each one matched."""
        self._hits = []
        ids = [str(next(self._ids)) for _ in facts]
        messages = [durable_fact(fact, ruleset.inputs, SID, fact_id, ruleset.fallback)
                    for fact, fact_id in zip(facts, ids)]
        rules = self._host.get_ruleset(ruleset.name)
        try:
            # The C call, not Host.assert_facts: when some facts of a batch match nothing, the
            # Python wrapper raises before running the actions the others triggered.
            code, state = durable_rules_engine.assert_facts(rules._handle, json.dumps(messages, ensure_ascii=False))
            if code not in (0, 1):
                raise RuntimeError(f"durable_rules refused the facts (code {code})")
            if state:
                rules.do_actions(state, _raise_error)
        finally:
            durable_rules_engine.retract_facts(rules._handle, json.dumps(messages, ensure_ascii=False))
        position = {fact_id: n for n, fact_id in enumerate(ids)}
        found: list[set[tuple[int, int]]] = [set() for _ in facts]
        for name, fact_id in self._hits:
            found[position[fact_id]].add(ruleset.rules[name])
        return found

    def _evaluate(self, ruleset: str, message: dict) -> None:
        # Every evaluation uses one session per ruleset and retracts its fact afterwards:
        # durable_rules' delete_state frees memory it then reads (crashes, error 102 later),
        # and a new session per fact would grow memory without end.
        try:
            self._host.assert_fact(ruleset, message)
        except MessageNotHandledException:
            pass
        finally:
            try:
                self._host.retract_fact(ruleset, message)
            except MessageNotHandledException:
                pass
