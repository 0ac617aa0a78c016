from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
JOB_STATUS_CANCELLED: JobStatus
JOB_STATUS_COMPLETED: JobStatus
JOB_STATUS_DEAD_LETTER: JobStatus
JOB_STATUS_FAILED: JobStatus
JOB_STATUS_QUEUED: JobStatus
JOB_STATUS_RETRYING: JobStatus
JOB_STATUS_RUNNING: JobStatus
JOB_STATUS_SCHEDULED: JobStatus
JOB_STATUS_UNSPECIFIED: JobStatus

class Attempt(_message.Message):
    __slots__ = ["error", "finished_at_ms", "number", "outcome", "started_at_ms", "worker_id"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    error: str
    finished_at_ms: int
    number: int
    outcome: str
    started_at_ms: int
    worker_id: str
    def __init__(self, number: _Optional[int] = ..., worker_id: _Optional[str] = ..., started_at_ms: _Optional[int] = ..., finished_at_ms: _Optional[int] = ..., outcome: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ["job_id"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class GetJobResultRequest(_message.Message):
    __slots__ = ["job_id", "wait", "wait_timeout_ms"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    WAIT_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    wait: bool
    wait_timeout_ms: int
    def __init__(self, job_id: _Optional[str] = ..., wait: bool = ..., wait_timeout_ms: _Optional[int] = ...) -> None: ...

class GetJobResultResponse(_message.Message):
    __slots__ = ["finished", "job"]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    finished: bool
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., finished: bool = ...) -> None: ...

class GetJobStatusRequest(_message.Message):
    __slots__ = ["job_id"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobStatusResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetStatsResponse(_message.Message):
    __slots__ = ["counts", "finished_total", "max_payload_bytes", "now_ms", "queue_wait_p50_ms", "queue_wait_p95_ms", "queues", "started_at_ms", "submitted_total", "version", "workers"]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    MAX_PAYLOAD_BYTES_FIELD_NUMBER: _ClassVar[int]
    NOW_MS_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    QUEUE_WAIT_P50_MS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_WAIT_P95_MS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[StatusCount]
    finished_total: int
    max_payload_bytes: int
    now_ms: int
    queue_wait_p50_ms: float
    queue_wait_p95_ms: float
    queues: _containers.RepeatedCompositeFieldContainer[QueueStats]
    started_at_ms: int
    submitted_total: int
    version: str
    workers: _containers.RepeatedCompositeFieldContainer[WorkerInfo]
    def __init__(self, version: _Optional[str] = ..., started_at_ms: _Optional[int] = ..., now_ms: _Optional[int] = ..., counts: _Optional[_Iterable[_Union[StatusCount, _Mapping]]] = ..., queues: _Optional[_Iterable[_Union[QueueStats, _Mapping]]] = ..., workers: _Optional[_Iterable[_Union[WorkerInfo, _Mapping]]] = ..., submitted_total: _Optional[int] = ..., finished_total: _Optional[int] = ..., queue_wait_p50_ms: _Optional[float] = ..., queue_wait_p95_ms: _Optional[float] = ..., max_payload_bytes: _Optional[int] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ["attempt", "attempts", "backoff_base_ms", "backoff_cap_ms", "content_type", "created_at_ms", "error", "failures", "finished_at_ms", "id", "idempotency_key", "max_retries", "payload", "priority", "progress", "progress_message", "queue", "result", "result_content_type", "run_at_ms", "status", "timeout_ms", "type", "updated_at_ms", "waiting", "worker_id"]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_BASE_MS_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_CAP_MS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    RESULT_CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    RUN_AT_MS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    WAITING_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    attempts: _containers.RepeatedCompositeFieldContainer[Attempt]
    backoff_base_ms: int
    backoff_cap_ms: int
    content_type: str
    created_at_ms: int
    error: str
    failures: int
    finished_at_ms: int
    id: str
    idempotency_key: str
    max_retries: int
    payload: bytes
    priority: int
    progress: float
    progress_message: str
    queue: str
    result: bytes
    result_content_type: str
    run_at_ms: int
    status: JobStatus
    timeout_ms: int
    type: str
    updated_at_ms: int
    waiting: str
    worker_id: str
    def __init__(self, id: _Optional[str] = ..., queue: _Optional[str] = ..., type: _Optional[str] = ..., payload: _Optional[bytes] = ..., content_type: _Optional[str] = ..., priority: _Optional[int] = ..., max_retries: _Optional[int] = ..., timeout_ms: _Optional[int] = ..., run_at_ms: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., attempt: _Optional[int] = ..., failures: _Optional[int] = ..., attempts: _Optional[_Iterable[_Union[Attempt, _Mapping]]] = ..., result: _Optional[bytes] = ..., result_content_type: _Optional[str] = ..., error: _Optional[str] = ..., progress: _Optional[float] = ..., progress_message: _Optional[str] = ..., created_at_ms: _Optional[int] = ..., updated_at_ms: _Optional[int] = ..., finished_at_ms: _Optional[int] = ..., worker_id: _Optional[str] = ..., backoff_base_ms: _Optional[int] = ..., backoff_cap_ms: _Optional[int] = ..., waiting: _Optional[str] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ["at_ms", "attempt", "error", "job_id", "queue", "status", "type", "worker_id"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    AT_MS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    at_ms: int
    attempt: int
    error: str
    job_id: str
    queue: str
    status: JobStatus
    type: str
    worker_id: str
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., queue: _Optional[str] = ..., type: _Optional[str] = ..., attempt: _Optional[int] = ..., worker_id: _Optional[str] = ..., at_ms: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class JobEvents(_message.Message):
    __slots__ = ["dropped", "events"]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    dropped: int
    events: _containers.RepeatedCompositeFieldContainer[JobEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[JobEvent, _Mapping]]] = ..., dropped: _Optional[int] = ...) -> None: ...

class JobSpec(_message.Message):
    __slots__ = ["backoff_base_ms", "backoff_cap_ms", "content_type", "delay_ms", "idempotency_key", "max_retries", "payload", "priority", "queue", "run_at_ms", "timeout_ms", "type"]
    BACKOFF_BASE_MS_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_CAP_MS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DELAY_MS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    RUN_AT_MS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    backoff_base_ms: int
    backoff_cap_ms: int
    content_type: str
    delay_ms: int
    idempotency_key: str
    max_retries: int
    payload: bytes
    priority: int
    queue: str
    run_at_ms: int
    timeout_ms: int
    type: str
    def __init__(self, type: _Optional[str] = ..., payload: _Optional[bytes] = ..., content_type: _Optional[str] = ..., queue: _Optional[str] = ..., priority: _Optional[int] = ..., max_retries: _Optional[int] = ..., timeout_ms: _Optional[int] = ..., run_at_ms: _Optional[int] = ..., delay_ms: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., backoff_base_ms: _Optional[int] = ..., backoff_cap_ms: _Optional[int] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ["limit", "newest_first", "page_token", "queue", "statuses", "type", "worker_id"]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    limit: int
    newest_first: bool
    page_token: str
    queue: str
    statuses: _containers.RepeatedScalarFieldContainer[JobStatus]
    type: str
    worker_id: str
    def __init__(self, statuses: _Optional[_Iterable[_Union[JobStatus, str]]] = ..., queue: _Optional[str] = ..., type: _Optional[str] = ..., worker_id: _Optional[str] = ..., limit: _Optional[int] = ..., page_token: _Optional[str] = ..., newest_first: bool = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ["jobs", "next_page_token"]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PauseQueueRequest(_message.Message):
    __slots__ = ["paused", "queue"]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    paused: bool
    queue: str
    def __init__(self, queue: _Optional[str] = ..., paused: bool = ...) -> None: ...

class PauseQueueResponse(_message.Message):
    __slots__ = ["queue"]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: QueueStats
    def __init__(self, queue: _Optional[_Union[QueueStats, _Mapping]] = ...) -> None: ...

class QueueStats(_message.Message):
    __slots__ = ["counts", "name", "oldest_queued_at_ms", "paused"]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OLDEST_QUEUED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[StatusCount]
    name: str
    oldest_queued_at_ms: int
    paused: bool
    def __init__(self, name: _Optional[str] = ..., paused: bool = ..., counts: _Optional[_Iterable[_Union[StatusCount, _Mapping]]] = ..., oldest_queued_at_ms: _Optional[int] = ...) -> None: ...

class RetryJobRequest(_message.Message):
    __slots__ = ["job_id", "queue", "status"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    queue: str
    status: JobStatus
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., queue: _Optional[str] = ...) -> None: ...

class RetryJobResponse(_message.Message):
    __slots__ = ["job_ids"]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, job_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class StatusCount(_message.Message):
    __slots__ = ["count", "status"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    count: int
    status: JobStatus
    def __init__(self, status: _Optional[_Union[JobStatus, str]] = ..., count: _Optional[int] = ...) -> None: ...

class SubmitBatch(_message.Message):
    __slots__ = ["batch_id", "jobs", "short_answer"]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    SHORT_ANSWER_FIELD_NUMBER: _ClassVar[int]
    batch_id: int
    jobs: _containers.RepeatedCompositeFieldContainer[JobSpec]
    short_answer: bool
    def __init__(self, batch_id: _Optional[int] = ..., jobs: _Optional[_Iterable[_Union[JobSpec, _Mapping]]] = ..., short_answer: bool = ...) -> None: ...

class SubmitBatchResult(_message.Message):
    __slots__ = ["batch_id", "error", "error_code", "first_job_id", "results", "status"]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FIRST_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    batch_id: int
    error: str
    error_code: str
    first_job_id: int
    results: _containers.RepeatedCompositeFieldContainer[SubmitJobResponse]
    status: JobStatus
    def __init__(self, batch_id: _Optional[int] = ..., results: _Optional[_Iterable[_Union[SubmitJobResponse, _Mapping]]] = ..., error: _Optional[str] = ..., error_code: _Optional[str] = ..., first_job_id: _Optional[int] = ..., status: _Optional[_Union[JobStatus, str]] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: JobSpec
    def __init__(self, job: _Optional[_Union[JobSpec, _Mapping]] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ["duplicate", "error", "error_code", "job_id", "status", "warning"]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WARNING_FIELD_NUMBER: _ClassVar[int]
    duplicate: bool
    error: str
    error_code: str
    job_id: str
    status: JobStatus
    warning: str
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., duplicate: bool = ..., error: _Optional[str] = ..., error_code: _Optional[str] = ..., warning: _Optional[str] = ...) -> None: ...

class SubmitJobsRequest(_message.Message):
    __slots__ = ["jobs", "partial"]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[JobSpec]
    partial: bool
    def __init__(self, jobs: _Optional[_Iterable[_Union[JobSpec, _Mapping]]] = ..., partial: bool = ...) -> None: ...

class SubmitJobsResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SubmitJobResponse]
    def __init__(self, results: _Optional[_Iterable[_Union[SubmitJobResponse, _Mapping]]] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ["queues"]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, queues: _Optional[_Iterable[str]] = ...) -> None: ...

class WorkerInfo(_message.Message):
    __slots__ = ["alive", "busy", "concurrency", "connected_at_ms", "draining", "hostname", "id", "job_types", "jobs_done", "last_heartbeat_ms", "pid", "queues", "running_job_ids"]
    ALIVE_FIELD_NUMBER: _ClassVar[int]
    BUSY_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    JOBS_DONE_FIELD_NUMBER: _ClassVar[int]
    JOB_TYPES_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_MS_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    RUNNING_JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    alive: bool
    busy: int
    concurrency: int
    connected_at_ms: int
    draining: bool
    hostname: str
    id: str
    job_types: _containers.RepeatedScalarFieldContainer[str]
    jobs_done: int
    last_heartbeat_ms: int
    pid: int
    queues: _containers.RepeatedScalarFieldContainer[str]
    running_job_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., hostname: _Optional[str] = ..., pid: _Optional[int] = ..., alive: bool = ..., concurrency: _Optional[int] = ..., busy: _Optional[int] = ..., last_heartbeat_ms: _Optional[int] = ..., connected_at_ms: _Optional[int] = ..., jobs_done: _Optional[int] = ..., queues: _Optional[_Iterable[str]] = ..., job_types: _Optional[_Iterable[str]] = ..., running_job_ids: _Optional[_Iterable[str]] = ..., draining: bool = ...) -> None: ...

class JobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
