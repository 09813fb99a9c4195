"""One Goodwill process: its database, its rules engine, its clients and worker threads."""
import hashlib
import logging
import threading
import time
from datetime import timedelta

from engine.db import make_sessionmaker
from engine.outbox import claim_action, run_action
from engine.settings import Settings
from engine.worker import claim_event, process_event

log = logging.getLogger("goodwill.runtime")
# How often idle workers look for edited policy files.
POLICY_CHECK_SECONDS = 2.0


class Runtime:
    """Shared state of a process; the receiver needs only the database, workers need the rest."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.sessionmaker = make_sessionmaker(settings.database_url)
        self.services: dict = {}
        self._rules = None
        self._rules_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._policy_text: str | None = None
        self._next_policy_check = 0.0
        self.reload_errors: list = []

    def rules(self):
        """Return the rules engine, loading the policies on first use."""
        with self._rules_lock:
            if self._rules is None:
                from engine.policy import RulesEngine, load_policy_set
                self._policy_text = self._policy_fingerprint()
                self._rules = RulesEngine(load_policy_set(self.settings.policies))
            return self._rules

    def reload_if_changed(self) -> None:
        """Reload the policies when their files changed; a broken edit keeps the running ones."""
        if self._rules is None or time.monotonic() < self._next_policy_check:
            return
        self._next_policy_check = time.monotonic() + POLICY_CHECK_SECONDS
        with self._rules_lock:
            fingerprint = self._policy_fingerprint()
            if fingerprint == self._policy_text:
                return
            self._policy_text = fingerprint
            self.reload_errors = self._rules.reload(self.settings.policies)
        for error in self.reload_errors:
            log.error("policy edit not loaded, the running policies stay: %s", error)
        if not self.reload_errors:
            log.info("policies reloaded from %s", self.settings.policies)

    def _policy_fingerprint(self) -> str:
        from engine.policy.model import policy_files
        digest = hashlib.sha256()
        for path in policy_files(self.settings.policies):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def start_workers(self, count: int) -> None:
        """Start `count` worker threads that drain the inbox and the outbox."""
        if count and "desk" not in self.services:
            from integrations.zendesk.client import desk_client
            self.services["desk"] = desk_client(self.settings)
        if count:
            self.rules()
            from integrations.hydrate import warn_missing_credentials
            warn_missing_credentials(self.settings)
        for n in range(count):
            thread = threading.Thread(target=self._work, args=(f"worker-{n}",),
                                      name=f"goodwill-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake_workers(self) -> None:
        """Tell idle workers that something new arrived."""
        self._wake.set()

    def stop(self) -> None:
        """Stop the workers after the work in hand and close the rules engine."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=30)
        if self._rules is not None:
            self._rules.close()

    def work_once(self) -> bool:
        """Do one unit of work (an event or an action); False when there was none."""
        lease = timedelta(seconds=self.settings.lease_seconds)
        event_id = claim_event(self.sessionmaker, lease)
        if event_id:
            process_event(self, event_id)
            return True
        action_id = claim_action(self.sessionmaker, lease)
        if action_id:
            run_action(self, action_id)
            return True
        return False

    def _work(self, worker_id: str) -> None:
        while not self._stop.is_set():
            try:
                busy = self.work_once()
            except Exception:
                log.exception("%s: unexpected error; carrying on", worker_id)
                busy = False
            if not busy:
                self.reload_if_changed()
                self._wake.wait(timeout=0.5)
                self._wake.clear()
