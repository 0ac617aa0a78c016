"""One attempt on a worker: what its handler gets (Context) and what the worker keeps about it.

The cancellation flag is a threading.Event: set when the master cancels the job, when the
attempt's timeout passes, when the worker gives it back on shutdown, or when the master refuses
the lease after a reconnect. Handlers cannot be stopped from outside in Python, so they read it.
"""
import threading
import time
from typing import Optional

from ._generated.nucleus.v1 import worker_pb2


class Context:
    """What a handler gets besides its payload."""

    def __init__(self, attempt: 'Attempt'):
        self._attempt = attempt
        self.job_id: str = attempt.job_id
        self.attempt: int = attempt.number
        self.queue: str = attempt.assignment.queue
        self.type: str = attempt.assignment.type
        #: Seconds this attempt may run (None: no limit).
        self.timeout: Optional[float] = attempt.assignment.timeout_ms / 1000 if attempt.assignment.timeout_ms > 0 else None

    @property
    def cancelled(self) -> bool:
        """True once the job was cancelled, timed out or the worker gives it back: stop soon."""
        return self._attempt.aborted.is_set()

    @property
    def cancel_reason(self) -> Optional[str]:
        """'cancelled', 'timeout', 'shutdown' or 'refused'; None while the attempt may go on."""
        return self._attempt.abort_reason

    def wait(self, seconds: float) -> bool:
        """Sleeps up to `seconds`; returns True (early) when the attempt is aborted."""
        return self._attempt.aborted.wait(seconds)

    def progress(self, percent: float, message: Optional[str] = None) -> None:
        """Reported with the next heartbeat (0..100; the message is cut to 1,024 characters)."""
        try:
            self._attempt.progress = max(0.0, min(100.0, float(percent)))
        except (TypeError, ValueError):
            self._attempt.progress = 0.0
        if message is not None:
            self._attempt.message = str(message)[:1024]


class Attempt:
    def __init__(self, assignment: worker_pb2.Assignment):
        self.assignment = assignment
        self.job_id = assignment.job_id
        self.number = assignment.attempt
        self.key = (assignment.job_id, assignment.attempt)
        self.started_at_ms = int(time.time() * 1000)
        self.deadline = time.monotonic() + assignment.timeout_ms / 1000 if assignment.timeout_ms > 0 else float('inf')
        self.aborted = threading.Event()
        self.abort_reason: Optional[str] = None
        self.ended = False  # set (under the worker's lock) by whoever reports the attempt first
        self.progress = 0.0
        self.message = ''
