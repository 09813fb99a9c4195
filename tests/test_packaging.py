"""Installed without the source tree (`pip install .`), Goodwill finds everything it ships."""
import subprocess
import sys
from pathlib import Path

from conftest import fresh_env

ROOT = Path(__file__).resolve().parents[1]


def test_a_plain_install_carries_its_policies_lexicons_migrations_and_fixtures(tmp_path):
    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                              "--target", str(target), str(ROOT)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    env = {**fresh_env(), "PYTHONPATH": str(target),
           "GOODWILL_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def goodwill(*args):
        return subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env,
                              cwd=elsewhere, capture_output=True, text=True, timeout=120)

    validated = goodwill("validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert str(target / "engine" / "shipped_policies") in validated.stdout
    assert goodwill("test").stdout.strip().endswith("0 failed")
    example = target / "integrations" / "generic" / "fixtures" / "01-complaint.json"
    simulated = goodwill("simulate", str(example))
    assert "complaints/public-complaint" in simulated.stdout, simulated.stderr
    assert (target / "integrations" / "zendesk" / "templates" / "desk.html").exists()
    assert (target / "engine" / "admin" / "templates" / "admin" / "base.html").exists()
    reference = goodwill("reference")
    assert "\n# Writing policies\n" in reference.stdout, reference.stderr
