"""The policies page: each file, its version, its tests, and what the running engine loaded."""
import threading
from pathlib import Path

from engine.policy import run_policy_tests
from engine.policy.loader import load_policy_file
from engine.policy.model import policy_files

_cache: dict = {}
_cache_lock = threading.Lock()


def _fingerprint(folder: Path) -> tuple:
    # Tests are rerun only when a policy or test file changed: they start a rules engine.
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else [folder]
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())


def _test_report(folder: Path):
    key = (str(folder), _fingerprint(folder))
    with _cache_lock:
        if key not in _cache:
            _cache.clear()
            _cache[key] = run_policy_tests(folder)
        return _cache[key]


def policy_status(folder: Path, running) -> list[dict]:
    """Describe each policy file against `running`: the loaded PolicySet or why it did not load."""
    report = _test_report(folder)
    loaded = {} if isinstance(running, Exception) else {p.path: p for p in running.policies}
    rows = []
    for path in policy_files(folder):
        policy, errors = load_policy_file(path)
        test_file = path.with_name(f"{path.stem}_test{path.suffix}")
        cases = [c for c in report.cases if Path(c.file).name == test_file.name]
        live = loaded.get(str(path))
        rows.append({
            "file": path.name, "name": policy.name if policy else None,
            "version": policy.version if policy else None,
            "running_version": live.version if live else None,
            "rules": len(policy.rules) if policy else 0,
            "errors": [str(e) for e in errors],
            "tests": {"file": test_file.name if test_file.exists() else None,
                      "passed": sum(c.passed for c in cases),
                      "failed": [f"{c.name}: {c.message}" for c in cases if not c.passed]},
        })
    return rows


def test_errors(folder: Path) -> list[str]:
    """Return the errors that kept test files from running at all."""
    return [str(e) for e in _test_report(folder).errors]
