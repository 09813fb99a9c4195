"""One Goodwill process: its database, its rules engine, its clients and worker threads."""
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.db import make_sessionmaker, utcnow
from engine.outbox import claim_action, run_action
from engine.settings import Settings
from engine.worker import claim_event, process_event

log = logging.getLogger("goodwill.runtime")
# How often idle workers look for edited policy files.
POLICY_CHECK_SECONDS = 2.0


@dataclass
class ReloadAttempt:
    """One try at replacing the running policies: when, the outcome, and what kept it out.

    `outcome` is `loaded` (swapped in), `kept` (errors or failing tests: the running policies
    stay) or `checked` (valid and tested, in a process that runs no rules engine).
    """

    at: datetime
    outcome: str
    errors: list
    versions: dict[str, str]


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
        self._reload_lock = threading.Lock()
        self.policies_loaded_at: datetime | None = None
        self.last_reload: ReloadAttempt | None = None
        # What kept the last edit out (validation errors, failing tests); empty once one loads.
        self.reload_errors: list = []

    def rules(self):
        """Return the rules engine, loading the policies on first use."""
        with self._rules_lock:
            if self._rules is None:
                from engine.policy import RulesEngine, load_policy_set
                self._policy_text = self._policy_fingerprint()
                self._rules = RulesEngine(load_policy_set(self.settings.policies))
                self.policies_loaded_at = utcnow()
            return self._rules

    def running_policies(self):
        """Return the policies this process decides with; None when it runs no rules engine."""
        rules = self._rules
        return rules.policy_set if rules is not None else None

    def reload_if_changed(self) -> None:
        """Reload the policies when a policy or test file changed; one worker checks at a time."""
        if self._rules is None or time.monotonic() < self._next_policy_check:
            return
        if not self._reload_lock.acquire(blocking=False):
            return  # another worker is reloading right now
        try:
            self._next_policy_check = time.monotonic() + POLICY_CHECK_SECONDS
            fingerprint = self._policy_fingerprint()
            if fingerprint != self._policy_text:
                self._reload(fingerprint)
        finally:
            self._reload_lock.release()

    def reload_policies(self) -> ReloadAttempt:
        """Reload now, changed or not; without a rules engine here, only check the folder."""
        with self._reload_lock:
            return self._reload(self._policy_fingerprint())

    def _reload(self, fingerprint: str) -> ReloadAttempt:
        """Gate the folder (valid, tests pass), then swap it in; otherwise keep what runs."""
        from engine.policy.gate import check_folder
        checked = check_folder(self.settings.policies)
        rules = self._rules
        errors = rules.swap_in(checked) if rules is not None else checked.errors
        # Remembered even when kept out: the same broken text is not retried every check.
        self._policy_text = fingerprint
        outcome = "kept" if errors else "loaded" if rules is not None else "checked"
        versions = {p.name: p.version for p in checked.policy_set.policies} \
            if checked.policy_set is not None else {}
        attempt = ReloadAttempt(utcnow(), outcome, errors, versions)
        if outcome == "loaded":
            self.policies_loaded_at = attempt.at
        self.last_reload, self.reload_errors = attempt, errors
        for error in errors:
            log.error("policy edit kept out, the running policies stay: %s", error)
        if not errors:
            log.info("policies %s in %s: %s", outcome, self.settings.policies, versions)
        return attempt

    def _policy_fingerprint(self) -> str:
        # Test files count too: fixing a test re-admits the edit that its failure kept out.
        from engine.policy.model import policy_files
        digest = hashlib.sha256()
        for path in policy_files(self.settings.policies):
            for file in (path, path.with_name(f"{path.stem}_test{path.suffix}")):
                if file.exists():
                    digest.update(file.name.encode() + b"\0" + file.read_bytes())
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
        if count and self.settings.ticket_metrics_every > 0:
            # Its own thread: a slow help desk must not hold up events and actions.
            from engine.ticket_metrics import start_sync_thread
            self._threads.append(start_sync_thread(self, self._stop))

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
                # Checked between units of work too: a steady stream of events must not keep
                # an edit out for ever (the check itself runs every POLICY_CHECK_SECONDS).
                self.reload_if_changed()
            except Exception:
                log.exception("%s: unexpected error; carrying on", worker_id)
                busy = False
            if not busy:
                self._wake.wait(timeout=0.5)
                self._wake.clear()
