"""Shared pieces of the benchmarks: a fresh database, gunicorn, a signed-event load."""
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpora" / "twitter-care" / "conversations.json"
SECRET = "whsec_" + "YmVuY2gtYmVuY2gtYmVuY2gtYmVuY2g="


def fresh_database(admin_url: str | None, folder: Path) -> str:
    """Create an empty PostgreSQL database when a server is given, else a SQLite file."""
    if not admin_url:
        return f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    name = f"goodwill_bench_{uuid.uuid4().hex[:8]}"
    with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def goodwill_env(database_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOODWILL_", "ZENDESK_"))}
    return {**env, "GOODWILL_DATABASE_URL": database_url, "GOODWILL_WEBHOOK_SECRET": SECRET,
            "PYTHONPATH": str(ROOT), **extra}


def upgrade(env: dict) -> None:
    subprocess.run([sys.executable, "-m", "engine.cli", "db", "upgrade"], env=env, check=True,
                   capture_output=True)


def start_gunicorn(app: str, env: dict, workers: int = 2) -> tuple[subprocess.Popen, str]:
    """Start gunicorn with the app spec and wait until it answers."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "--threads", "4",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", app],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(f"{url}/healthz", timeout=0.5)
            return process, url
        except requests.RequestException:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"gunicorn did not start for {app}")
