"""A plugin package, installed for real, adds a condition and an action that policies can use."""
import os
import subprocess
import sys
from pathlib import Path

from conftest import fresh_env

PLUGIN = Path(__file__).resolve().parent / "plugin_example"
ROOT = Path(__file__).resolve().parents[1]
POLICY = """policy: vip
description: Big accounts get the team's attention (test policy).
rules:
  - name: big-account
    when: {kind: mention, influencer: 10000}
    then:
      - team.shout: {channel: care}
"""
TESTS = """cases:
  - name: a big account is shouted about
    event: {kind: mention, author: {followers: 25000}}
    expect: {rules: [big-account]}
  - name: a small one is not
    event: {kind: mention, author: {followers: 12}}
    expect: {not: [big-account]}
"""


def run(args, env):
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_an_installed_plugin_is_found_through_its_entry_points(tmp_path):
    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                              "--target", str(target), str(PLUGIN)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "vip.yaml").write_text(POLICY)
    (policies / "vip_test.yaml").write_text(TESTS)

    without = run(["validate", str(policies)], {**fresh_env(), "PYTHONPATH": str(ROOT)})
    assert without.returncode == 1 and "influencer" in without.stdout

    env = {**fresh_env(), "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)])}
    assert run(["validate", str(policies)], env).returncode == 0
    tested = run(["test", str(policies)], env)
    assert tested.returncode == 0, tested.stdout
    assert tested.stdout.strip().endswith("2 passed, 0 failed")
