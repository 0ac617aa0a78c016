"""The client: submits jobs and reads, cancels, retries and lists them through JobService.

Guarantees (the master's, passed on):
- `submit` and `submit_many` return only after the jobs are committed to the master's store.
- A refused request raises NucleusError with the gRPC status and the master's message, which
  names the field and the limit of a bad input; nothing was written.
- With several masters, a call that finds its master unreachable (UNAVAILABLE) is tried on the
  next one, and the client stays with the one that answered.

Thread-safe: one Client can serve every thread of a web application.
"""
import threading
from typing import Any, Iterable, Iterator, List, Optional, Sequence, Union

import grpc

from ._channel import DEFAULT_MASTER, TlsOption, auth_metadata, open_channel, parse_masters
from ._generated.nucleus.v1 import jobs_pb2, jobs_pb2_grpc
from .errors import NucleusError, from_rpc_error, invalid_argument
from .jobs import STATUS_NAMES, Job, job_spec, status_value

#: The most jobs one SubmitJobs call takes (the contract's limit).
MAX_BATCH = 10_000
#: How long `result(wait=True)` waits when not told.
DEFAULT_WAIT = 300.0


class Client:
    """`Client(masters=["127.0.0.1:50051"], token=None, tls=None, timeout=10.0)`.

    `masters`: a list of host:port (or one string, comma-separated); `token`: sent as
    `authorization: Bearer <token>` when the master asks for one; `tls`: None (plaintext),
    True (TLS, the system's roots) or `Tls(ca=..., cert=..., key=...)`; `timeout`: the deadline of
    each call, in seconds."""

    def __init__(self, masters: Union[str, Sequence[str]] = (DEFAULT_MASTER,), token: Optional[str] = None,
                 tls: TlsOption = None, timeout: float = 10.0):
        self._masters = parse_masters(masters)
        self._metadata = auth_metadata(token)
        self._tls = tls
        self.timeout = timeout
        self._lock = threading.Lock()
        self._stubs: dict = {}
        self._channels: list = []
        self._current = 0

    # ------------------------------------------------------------------ calls

    def _stub(self, index: int) -> jobs_pb2_grpc.JobServiceStub:
        with self._lock:
            stub = self._stubs.get(index)
            if stub is None:
                channel = open_channel(self._masters[index], self._tls)
                self._channels.append(channel)
                stub = self._stubs[index] = jobs_pb2_grpc.JobServiceStub(channel)
            return stub

    def _call(self, method: str, request: Any, timeout: Optional[float] = None) -> Any:
        last: Optional[NucleusError] = None
        start = self._current
        for i in range(len(self._masters)):
            index = (start + i) % len(self._masters)
            try:
                response = getattr(self._stub(index), method)(request, timeout=timeout or self.timeout, metadata=self._metadata)
            except grpc.RpcError as error:
                last = from_rpc_error(error, self._masters[index])
                if error.code() != grpc.StatusCode.UNAVAILABLE:
                    raise last from None
                continue
            self._current = index
            return response
        assert last is not None
        raise last

    # ------------------------------------------------------------------ submit

    def submit(self, type: str, payload: Any = None, **options: Any) -> str:
        """Submits one job and returns its id once it is committed. `payload`: anything JSON can
        encode, or bytes. Options: queue, priority (0..10, 0 runs first), max_retries, timeout
        (seconds per attempt), delay (seconds), run_at (aware datetime or epoch seconds),
        idempotency_key, content_type, backoff_base, backoff_cap (seconds)."""
        spec = job_spec(type, payload, **options)
        return self._call('SubmitJob', jobs_pb2.SubmitJobRequest(job=spec)).job_id

    def submit_many(self, jobs: Iterable[dict]) -> List[str]:
        """Submits jobs given as dicts with the arguments of `submit` (`{"type": "email",
        "payload": {...}, "queue": "mail"}`) and returns their ids, in order. They travel in calls
        of at most 10,000 jobs; each call is all or nothing. When a call is refused, the jobs of
        the calls before it stay committed: the error's `committed` lists their ids."""
        specs = []
        for i, job in enumerate(jobs):
            if not isinstance(job, dict) or 'type' not in job:
                raise invalid_argument(f'jobs[{i}]', 'must be a dict with at least a "type"')
            specs.append(job_spec(field=f'jobs[{i}]', **job))
        ids: List[str] = []
        for start in range(0, len(specs), MAX_BATCH):
            request = jobs_pb2.SubmitJobsRequest(jobs=specs[start:start + MAX_BATCH])
            try:
                response = self._call('SubmitJobs', request)
            except NucleusError as error:
                if start > 0:
                    error.message = f'in the call of jobs[{start}] onwards ({start} jobs before it are committed): {error.message}'
                error.committed = ids
                raise
            ids.extend(r.job_id for r in response.results)
        return ids

    # ------------------------------------------------------------------ read and act

    def get(self, job_id: str) -> Job:
        """The job's state now."""
        return Job.from_proto(self._call('GetJobStatus', jobs_pb2.GetJobStatusRequest(job_id=str(job_id))).job)

    def result(self, job_id: str, wait: Union[bool, float] = False) -> Job:
        """The job with its result. `wait=True` waits until it has finished (up to 5 minutes),
        `wait=30` up to 30 seconds; check `job.finished` to know whether it did."""
        if wait is True:
            seconds = DEFAULT_WAIT
        elif wait is False or wait is None:
            seconds = 0.0
        elif isinstance(wait, (int, float)) and wait >= 0:
            seconds = float(wait)
        else:
            raise invalid_argument('wait', f'must be True, False or a number of seconds (got {wait!r})')
        request = jobs_pb2.GetJobResultRequest(job_id=str(job_id), wait=seconds > 0, wait_timeout_ms=round(seconds * 1000))
        response = self._call('GetJobResult', request, timeout=self.timeout + seconds)
        return Job.from_proto(response.job)

    def cancel(self, job_id: str) -> Job:
        """Cancels a job that has not finished (a running one is aborted on its worker)."""
        return Job.from_proto(self._call('CancelJob', jobs_pb2.CancelJobRequest(job_id=str(job_id))).job)

    def retry(self, job_id: Optional[str] = None, *, status: Optional[str] = None, queue: Optional[str] = None) -> List[str]:
        """Runs a failed, dead-lettered or cancelled job again; without `job_id`, every job in
        `status` (and `queue`). Returns the ids queued again."""
        request = jobs_pb2.RetryJobRequest(job_id=str(job_id or ''), queue=queue or '')
        if status is not None:
            request.status = status_value(status)
        return list(self._call('RetryJob', request).job_ids)

    def list(self, statuses: Union[None, str, Sequence[str]] = None, *, queue: Optional[str] = None, type: Optional[str] = None,
             worker_id: Optional[str] = None, newest_first: bool = False, page_size: int = 100) -> Iterator[Job]:
        """Every matching job, fetching page after page as the iteration goes (without payloads
        and results: `get` or `result` has them)."""
        wanted = [statuses] if isinstance(statuses, str) else list(statuses or [])
        request = jobs_pb2.ListJobsRequest(
            statuses=[status_value(s, 'statuses') for s in wanted], queue=queue or '', type=type or '',
            worker_id=worker_id or '', limit=page_size, newest_first=newest_first,
        )
        while True:
            response = self._call('ListJobs', request)
            for job in response.jobs:
                yield Job.from_proto(job)
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    def stats(self) -> dict:
        """Counts by status, per queue, and the workers, as plain values."""
        response = self._call('GetStats', jobs_pb2.GetStatsRequest())
        counts = lambda items: {STATUS_NAMES.get(c.status, 'unspecified'): c.count for c in items}  # noqa: E731
        return {
            'version': response.version,
            'started_at_ms': response.started_at_ms,
            'now_ms': response.now_ms,
            'counts': counts(response.counts),
            'queues': [
                {'name': q.name, 'paused': q.paused, 'counts': counts(q.counts), 'oldest_queued_at_ms': q.oldest_queued_at_ms}
                for q in response.queues
            ],
            'workers': [
                {
                    'id': w.id, 'hostname': w.hostname, 'pid': w.pid, 'alive': w.alive, 'concurrency': w.concurrency,
                    'busy': w.busy, 'last_heartbeat_ms': w.last_heartbeat_ms, 'connected_at_ms': w.connected_at_ms,
                    'jobs_done': w.jobs_done, 'queues': list(w.queues), 'job_types': list(w.job_types),
                    'running_job_ids': list(w.running_job_ids), 'draining': w.draining,
                }
                for w in response.workers
            ],
            'submitted_total': response.submitted_total,
            'finished_total': response.finished_total,
            'queue_wait_p50_ms': response.queue_wait_p50_ms,
            'queue_wait_p95_ms': response.queue_wait_p95_ms,
            'max_payload_bytes': response.max_payload_bytes,
        }

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        with self._lock:
            for channel in self._channels:
                channel.close()
            self._channels.clear()
            self._stubs.clear()

    def __enter__(self) -> 'Client':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
