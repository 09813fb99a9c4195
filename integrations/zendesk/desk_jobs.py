"""Background jobs of the Zendesk stand-in: a bulk request queues one and answers its job_status.

A job is `queued`, then `working` while its tasks run one by one (`progress` counts them), then
`completed` with one result per task, in the order of the request. The stand-in runs queued jobs
before it answers its next request, as a worker as quick as the desk itself would: whoever looks
next (a poll, a ticket lookup) sees them done. While the jobs are held (`POST /_desk/jobs`) they
stay queued, so a test can look at a job that has not run yet.
"""
import time
import uuid

from .desk_base import DeskError, now_iso

# Zendesk keeps a job's status for an hour and lists only the last 100 jobs.
JOB_TTL_SECONDS = 60 * 60
LISTED_JOBS = 100


def created(index, record_id, **extra):
    """Return the result of a task that created (or found) a record."""
    return {"index": index, "id": record_id, **extra}


def updated(record_id):
    """Return the result of a task that updated a record."""
    return {"id": record_id, "action": "update", "status": "Updated", "success": True}


def failed(record_id, action, error: DeskError):
    """Return the result of a task Zendesk refused, with its error and what each field said.

    A failed creation has no record: Zendesk then gives the task's index as its `id`.
    """
    problems = [problem.get("description", "") for found in (error.body.get("details") or {}).values()
                for problem in found if isinstance(problem, dict)]
    details = "; ".join(problems) or str(error.body.get("description") or error.body.get("error"))
    return {"id": record_id, "action": action, "success": False,
            "error": str(error.body.get("error")), "details": details}


class JobQueue:
    """Jobs in the order they were queued, each a list of tasks that return their result."""

    def __init__(self):
        self.held = False
        self._jobs = {}
        self._tasks = {}
        self._queued_at = {}
        self._done_at = {}

    def queue(self, job_type, tasks):
        """Queue a job of tasks (callables returning a result) and return its job_status."""
        job = {"id": uuid.uuid4().hex, "job_type": job_type, "status": "queued", "total": len(tasks),
               "progress": 0, "message": None, "results": None}
        self._jobs[job["id"]] = job
        self._tasks[job["id"]] = list(tasks)
        self._queued_at[job["id"]] = time.monotonic()
        return job

    def run_due(self):
        """Run every queued job, oldest first, unless the jobs are held."""
        if self.held:
            return
        for job_id in [job_id for job_id in self._jobs if job_id in self._tasks]:
            job, tasks = self._jobs[job_id], self._tasks.pop(job_id)
            job["status"], results = "working", []
            for task in tasks:
                results.append(task())
                job["progress"] += 1
            job.update(status="completed", results=results, message=f"Completed at {now_iso()}")
            self._done_at[job_id] = time.monotonic()

    def get(self, job_id):
        """Return the job with this id, or None when there is none (or it expired)."""
        self._expire()
        return self._jobs.get(job_id)

    def listing(self):
        """Return the last jobs, finished ones by completion, then unfinished by queueing, newest first."""
        self._expire()
        unfinished = [job_id for job_id in self._jobs if job_id not in self._done_at]
        finished = sorted(self._done_at, key=self._done_at.get)
        order = list(reversed(unfinished)) + list(reversed(finished))
        return [self._jobs[job_id] for job_id in order[:LISTED_JOBS]]

    def _expire(self):
        oldest = time.monotonic() - JOB_TTL_SECONDS
        for job_id in [j for j, at in self._queued_at.items() if at < oldest and j in self._done_at]:
            for book in (self._jobs, self._queued_at, self._done_at):
                book.pop(job_id, None)
