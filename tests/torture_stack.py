"""Goodwill as a business runs it, for the torture tests: gunicorn in front, `goodwill worker`
processes behind, the Zendesk stand-in, PostgreSQL, and a throwaway cluster that can be stopped."""
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text

from conftest import fresh_env, wait_until
from engine.db import Action, InboxEvent
from engine.sender import signed_headers

SECRET = "whsec_" + "dG9ydHVyZS10b3J0dXJlLXRvcnR1cmU="
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(admin_url: str) -> str:
    """Create an empty database on the server of admin_url and return its URL."""
    name = f"goodwill_torture_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, url: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)"))
    engine.dispose()


class Stack:
    """gunicorn and `goodwill worker` processes sharing one database and one help desk."""

    def __init__(self, database_url: str, desk_url: str, folder: Path, **settings: str):
        self.folder = folder
        self.database_url = database_url
        self.env = {**fresh_env(), "GOODWILL_DATABASE_URL": database_url,
                    "GOODWILL_WEBHOOK_SECRET": SECRET, "ZENDESK_URL": desk_url,
                    "ZENDESK_EMAIL": "agent@example.com", "ZENDESK_TOKEN": "torture",
                    "PYTHONPATH": str(ROOT), **settings}
        self.url = ""
        self.receiver: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self._started = 0
        self.http = requests.Session()

    def start(self, workers: int = 2) -> "Stack":
        upgrade = subprocess.run([sys.executable, "-m", "engine.cli", "db", "upgrade"], env=self.env,
                                 capture_output=True, text=True, timeout=120)
        if upgrade.returncode:
            raise RuntimeError(upgrade.stderr)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.receiver = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "--threads", "4",
             "-b", f"127.0.0.1:{port}", "webhook_server:create_app()"],
            env=self.env, cwd=ROOT, stdout=self._log("gunicorn"), stderr=subprocess.STDOUT)
        self.workers = [self.start_worker() for _ in range(workers)]
        wait_until(self._answers, timeout=180)
        return self

    def start_worker(self) -> subprocess.Popen:
        """Start one `goodwill worker` process with two threads; its output goes to a log file."""
        self._started += 1
        log = self.folder / f"worker-{self._started}.log"
        process = subprocess.Popen([sys.executable, "-m", "engine.cli", "worker", "--concurrency", "2"],
                                   env=self.env, cwd=ROOT, stdout=log.open("w"),
                                   stderr=subprocess.STDOUT)
        process.log = log
        return process

    def worker_ready(self, worker: subprocess.Popen) -> bool:
        """Tell whether a worker has loaded its policies and started claiming work."""
        return "goodwill worker:" in worker.log.read_text()

    def _log(self, name: str):
        return (self.folder / f"{name}.log").open("w")

    def _answers(self) -> bool:
        try:
            return self.http.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def post(self, body: str, message_id: str | None = None) -> requests.Response:
        """Deliver one signed body to the generic source, as a platform does."""
        return requests.post(f"{self.url}/webhooks/events", data=body.encode(), timeout=30,
                             headers=signed_headers(SECRET, body, msg_id=message_id))

    def remaining(self) -> int:
        """Count the events still waiting and the actions still to run."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                events = conn.scalar(select(func.count()).select_from(InboxEvent)
                                     .where(InboxEvent.status == "received"))
                actions = conn.scalar(select(func.count()).select_from(Action)
                                      .where(Action.status.in_(("pending", "retrying", "running"))))
        finally:
            engine.dispose()
        return events + actions

    def drain(self, timeout: float = 240) -> None:
        wait_until(lambda: self.remaining() == 0, timeout=timeout, interval=0.5)

    def stop(self) -> None:
        """SIGTERM everything (in-flight work finishes), SIGKILL what does not stop in time."""
        processes = [p for p in [self.receiver, *self.workers] if p is not None]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class ThrowawayCluster:
    """A PostgreSQL cluster of its own on a free port, so a test may stop and start it."""

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or \
            [p for p in [shutil.which("initdb")] if p]
        self.bin = Path(found[-1]).parent if found else None
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="goodwill-pg-"))
        self.data = self.folder / "data"
        self.url = f"postgresql+psycopg://goodwill@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def create(self) -> "ThrowawayCluster":
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "goodwill", "--auth=trust", "--no-sync")
        self.start()
        return self

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"),
                  "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)

