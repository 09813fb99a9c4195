"""The policy language: load, validate, compile, decide, explain and test policies."""
from engine.policy.errors import PolicyError, PolicyErrors
from engine.policy.explain import explain, render_explanation
from engine.policy.host import RulesEngine
from engine.policy.loader import load_policy_set, validate_folder
from engine.policy.model import ActionSpec, Match, Policy, PolicySet, Rule
from engine.policy.oracle import oracle_decide
from engine.policy.testing import run_policy_tests

__all__ = ["ActionSpec", "Match", "Policy", "PolicyError", "PolicyErrors", "PolicySet", "Rule",
           "RulesEngine", "explain", "load_policy_set", "oracle_decide", "render_explanation",
           "run_policy_tests", "validate_folder"]
