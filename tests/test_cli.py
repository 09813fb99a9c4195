"""The `goodwill` command as an admin uses it: validate, test, simulate, send."""
import json
import subprocess
import sys

from conftest import fresh_env
from engine.cli import EXAMPLES, main


def run_cli(*args, env=None, cwd=None) -> subprocess.CompletedProcess:
    """Run the installed-style entry point in a child process, as a shell would."""
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)],
                          capture_output=True, text=True, env=env or fresh_env(), cwd=cwd,
                          timeout=120)


def test_validate_prints_file_and_line_for_each_mistake_and_exits_1(tmp_path):
    broken = tmp_path / "complaints.yaml"
    broken.write_text("policy: complaints\nrules:\n  - name: angry\n    when:\n"
                      "      sentimnet: {below: -0.5}\n    then:\n"
                      "      - zendesk.tickt: {priority: high}\n")
    result = run_cli("validate", tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{broken}:5:") and "sentiment" in line for line in lines)
    assert any(line.startswith(f"{broken}:7:") and "zendesk.ticket" in line for line in lines)


def test_validate_and_test_pass_on_the_shipped_policies():
    assert run_cli("validate").returncode == 0
    result = run_cli("test")
    assert result.returncode == 0, result.stdout


def test_simulate_explains_without_side_effects(tmp_path):
    env = {**fresh_env(), "GOODWILL_DATABASE_URL": f"sqlite:///{tmp_path / 'sim.db'}"}
    result = run_cli("simulate", EXAMPLES / "01-complaint.json", "--explain", env=env)
    assert result.returncode == 0, result.stderr
    assert "complaints/" in result.stdout
    assert "Every rule:" in result.stdout
    again = run_cli("simulate", EXAMPLES / "01-complaint.json", env=env)
    # Nothing was stored by the first run: the event is still the first of its conversation.
    assert "already has a ticket" not in again.stdout and "has a ticket" not in again.stdout


def test_simulate_names_the_bad_field(tmp_path, capsys):
    event = json.loads((EXAMPLES / "01-complaint.json").read_text())
    event["kind"] = "shout"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(event))
    assert main(["simulate", str(path)]) == 0
    assert "kind" in capsys.readouterr().out


def test_send_posts_the_shipped_examples(goodwill):
    app = goodwill
    env = {**fresh_env(), "GOODWILL_WEBHOOK_SECRET": app.settings.webhook_secret}
    result = run_cli("send", "--url", app.url, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("'accepted'") == len(list(EXAMPLES.glob("*.json")))
    repeat = run_cli("send", "--url", app.url, env=env)
    assert "'accepted'" not in repeat.stdout and "'duplicate'" in repeat.stdout
