"""One Goodwill process: its database, its rules engine, its clients and worker threads."""
import logging
import threading
from datetime import timedelta

from engine.db import make_sessionmaker
from engine.outbox import claim_action, run_action
from engine.settings import Settings
from engine.worker import claim_event, process_event

log = logging.getLogger("goodwill.runtime")


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

    def rules(self):
        """Return the rules engine, loading the policies on first use."""
        with self._rules_lock:
            if self._rules is None:
                from engine.policy import RulesEngine, load_policy_set
                self._rules = RulesEngine(load_policy_set(self.settings.policies))
            return self._rules

    def start_workers(self, count: int) -> None:
        """Start `count` worker threads that drain the inbox and the outbox."""
        if count and "desk" not in self.services:
            from integrations.zendesk.client import desk_client
            self.services["desk"] = desk_client(self.settings)
        if count:
            self.rules()
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
                self._wake.wait(timeout=0.5)
                self._wake.clear()
