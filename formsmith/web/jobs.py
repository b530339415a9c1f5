"""Long work off the request (a month-end run, an ingest, an import): one thread per job, its
progress readable while it runs, its result or its one-line refusal when it ends."""
from __future__ import annotations

import secrets
import threading
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from ..errors import FormsmithError


@dataclass
class Job:
    """One piece of long work: who started it, how far it is, and how it ended."""

    id: str
    kind: str
    user: str
    started: str
    label: str = "准备中"
    done: int = 0
    total: int = 0
    state: str = "running"          # running | done | refused | failed
    result: Any = None
    problem: str = ""
    files: list[str] = field(default_factory=list)   # what the job wrote, offered for download

    def progress(self, label: str, done: int, total: int) -> None:
        self.label, self.done, self.total = label, done, total

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.state != "running" else 0)


class Jobs:
    """The jobs of one server process (they end with it; what they did is in the store)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, user: str, work: Callable[[Job], Any]) -> Job:
        job = Job(secrets.token_hex(8), kind, user, datetime.now().isoformat(timespec="seconds"))
        with self._lock:
            self._jobs[job.id] = job

        def run() -> None:
            try:
                job.result = work(job)
                job.state = "done"
            except FormsmithError as exc:
                job.problem, job.state = str(exc), "refused"
            except Exception as exc:  # noqa: BLE001 - the page says it failed; the log has why
                traceback.print_exc()
                job.problem, job.state = f"内部错误：{type(exc).__name__} (internal error)", "failed"
        threading.Thread(target=run, name=f"formsmith-{kind}-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str, user: str) -> Job | None:
        """The job, to the clerk who started it only."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.user == user else None
