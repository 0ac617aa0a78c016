"""Jobs as Python values: statuses as names (`"completed"`), payloads and results decoded from
JSON, times as milliseconds since the epoch (as on the wire), and the JobSpec a submit sends."""
import datetime
import json
from dataclasses import dataclass
from typing import Any, Optional, Tuple

from ._generated.nucleus.v1 import jobs_pb2
from .errors import invalid_argument

JSON_TYPE = 'application/json'
BYTES_TYPE = 'application/octet-stream'

_STATUS_PREFIX = 'JOB_STATUS_'
#: Status names by enum value: 1 -> "queued", ..., 7 -> "dead_letter".
STATUS_NAMES = {value: name[len(_STATUS_PREFIX):].lower() for name, value in jobs_pb2.JobStatus.items() if value != 0}
#: A job in one of these has finished and will not change unless it is retried.
TERMINAL = frozenset({'completed', 'failed', 'dead_letter', 'cancelled'})


def status_value(name: str, field: str = 'status') -> int:
    """`"dead_letter"` -> `JOB_STATUS_DEAD_LETTER`."""
    for value, known in STATUS_NAMES.items():
        if name == known:
            return value
    raise invalid_argument(field, f'"{name}" is not a status (one of {", ".join(STATUS_NAMES.values())})')


def encode(value: Any, content_type: Optional[str] = None) -> Tuple[bytes, str]:
    """bytes go as they are (application/octet-stream unless told); anything else as JSON."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), content_type or BYTES_TYPE
    return json.dumps(value, separators=(',', ':')).encode(), content_type or JSON_TYPE


def decode(data: bytes, content_type: str) -> Any:
    """JSON (or an empty content type) is parsed; any other content type stays bytes."""
    if content_type and not content_type.startswith(JSON_TYPE):
        return data
    if not data:
        return None
    return json.loads(data)


def _ms(seconds: Any, field: str) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise invalid_argument(field, f'must be a number of seconds (got {seconds!r})')
    return round(seconds * 1000)


def _epoch_ms(at: Any, field: str) -> int:
    if isinstance(at, datetime.datetime):
        if at.tzinfo is None:
            raise invalid_argument(field, 'a datetime needs a time zone (e.g. datetime.timezone.utc)')
        return round(at.timestamp() * 1000)
    return _ms(at, field)


def job_spec(type: str, payload: Any = None, *, queue: Optional[str] = None, priority: Optional[int] = None,
             max_retries: Optional[int] = None, timeout: Optional[float] = None, delay: Optional[float] = None,
             run_at: Any = None, idempotency_key: Optional[str] = None, content_type: Optional[str] = None,
             backoff_base: Optional[float] = None, backoff_cap: Optional[float] = None, field: str = 'job') -> jobs_pb2.JobSpec:
    """One JobSpec. Durations are seconds; `run_at` is an aware datetime or epoch seconds. Values
    are checked by the master; this only catches what cannot be put on the wire, naming the field."""
    try:
        data, ctype = encode(payload, content_type)
    except (TypeError, ValueError) as error:
        raise invalid_argument(f'{field}.payload', f'cannot be encoded as JSON ({error})') from None
    spec = jobs_pb2.JobSpec(payload=data, content_type=ctype)
    fields = {'type': type, 'queue': queue, 'priority': priority, 'max_retries': max_retries, 'idempotency_key': idempotency_key}
    for name, value in fields.items():
        if value is None:
            continue
        try:
            setattr(spec, name, value)
        except (TypeError, ValueError) as error:
            raise invalid_argument(f'{field}.{name}', f'has the wrong type ({error})') from None
    if timeout is not None:
        spec.timeout_ms = _ms(timeout, f'{field}.timeout')
    if delay is not None:
        spec.delay_ms = _ms(delay, f'{field}.delay')
    if run_at is not None:
        spec.run_at_ms = _epoch_ms(run_at, f'{field}.run_at')
    if backoff_base is not None:
        spec.backoff_base_ms = _ms(backoff_base, f'{field}.backoff_base')
    if backoff_cap is not None:
        spec.backoff_cap_ms = _ms(backoff_cap, f'{field}.backoff_cap')
    return spec


@dataclass(frozen=True)
class Attempt:
    number: int
    worker_id: str
    started_at_ms: int
    finished_at_ms: int  # 0 while running
    outcome: str  # running|completed|error|fatal|timeout|lost|cancelled|returned
    error: str


@dataclass(frozen=True)
class Job:
    """A job as the master knows it. `payload` and `result` are decoded (`payload_bytes` and
    `result_bytes` are the raw bytes); listings carry neither."""

    id: str
    queue: str
    type: str
    status: str
    priority: int
    max_retries: int
    timeout_ms: int
    run_at_ms: int
    idempotency_key: str
    attempt: int
    failures: int
    attempts: Tuple[Attempt, ...]
    error: str
    progress: float
    progress_message: str
    worker_id: str
    created_at_ms: int
    updated_at_ms: int
    finished_at_ms: int
    payload_bytes: bytes
    content_type: str
    result_bytes: bytes
    result_content_type: str
    waiting: str  # on a queued job no connected worker can run: why it waits

    @classmethod
    def from_proto(cls, job: jobs_pb2.Job) -> 'Job':
        return cls(
            id=job.id, queue=job.queue, type=job.type, status=STATUS_NAMES.get(job.status, 'unspecified'),
            priority=job.priority, max_retries=job.max_retries, timeout_ms=job.timeout_ms, run_at_ms=job.run_at_ms,
            idempotency_key=job.idempotency_key, attempt=job.attempt, failures=job.failures,
            attempts=tuple(Attempt(a.number, a.worker_id, a.started_at_ms, a.finished_at_ms, a.outcome, a.error) for a in job.attempts),
            error=job.error, progress=job.progress, progress_message=job.progress_message, worker_id=job.worker_id,
            created_at_ms=job.created_at_ms, updated_at_ms=job.updated_at_ms, finished_at_ms=job.finished_at_ms,
            payload_bytes=job.payload, content_type=job.content_type,
            result_bytes=job.result, result_content_type=job.result_content_type, waiting=job.waiting,
        )

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def payload(self) -> Any:
        return decode(self.payload_bytes, self.content_type)

    @property
    def result(self) -> Any:
        """The handler's return value (None until completed)."""
        return decode(self.result_bytes, self.result_content_type) if self.result_bytes else None

    def to_dict(self) -> dict:
        """For printing as JSON: bytes that are not JSON become text (or are left out)."""
        out = {k: v for k, v in self.__dict__.items() if k not in ('payload_bytes', 'result_bytes')}
        out['attempts'] = [a.__dict__ for a in self.attempts]
        for name, data, ctype in (('payload', self.payload_bytes, self.content_type), ('result', self.result_bytes, self.result_content_type)):
            try:
                value = decode(data, ctype)
                out[name] = value.decode('utf-8', 'replace') if isinstance(value, bytes) else value
            except ValueError:
                out[name] = data.decode('utf-8', 'replace')
        return out
