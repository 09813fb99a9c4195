"""The rules engine: compiled policies in a durable_rules host that one dedicated thread owns."""
import copy
import itertools
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from durable.engine import Host, MessageNotHandledException

from engine.policy.compiler import (WARMUP_RULE, CompiledRuleset, compile_policy_set,
                                    durable_fact, warmup_fact)
from engine.policy.decide import decide_with
from engine.policy.errors import PolicyError
from engine.policy.model import Match, PolicySet

if TYPE_CHECKING:
    from engine.policy.gate import CheckedFolder


SID = "goodwill"


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
        self._hits: list[str] = []
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
        return self._call(self._decide, fact, policy_set)

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
            request = self._requests.get()
            if request is None:
                return
            function, args, future = request
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function(*args))
            except BaseException as exc:  # hand every failure to the caller, keep serving
                future.set_exception(exc)

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
                self._hits.append(name)
        return record

    def _decide(self, fact: dict, expected: PolicySet | None = None) -> list[Match]:
        loaded = self._loaded
        if expected is not None and loaded.policy_set is not expected:
            raise PoliciesChanged("the policies were reloaded while the event was enriched")
        # Each pass asserts its fact once into its rulesets; policies then read their share.
        hits: dict[bool, set[tuple[int, int]]] = {}

        def matching(current: dict, index: int, fallback: bool) -> set[int]:
            if fallback not in hits:
                hits[fallback] = set()
                for ruleset in loaded.rulesets[fallback]:
                    hits[fallback] |= self._assert(ruleset, current)
            return {rule for policy, rule in hits[fallback] if policy == index}

        return decide_with(loaded.policy_set, fact, matching)

    def _assert(self, ruleset: CompiledRuleset, fact: dict) -> set[tuple[int, int]]:
        self._hits = []
        message = durable_fact(fact, ruleset.inputs, SID, str(next(self._ids)), ruleset.fallback)
        self._evaluate(ruleset.name, message)
        return {ruleset.rules[name] for name in self._hits}

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
