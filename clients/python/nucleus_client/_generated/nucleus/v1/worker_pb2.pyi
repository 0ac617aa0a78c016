from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
OUTCOME_CANCELLED: Outcome
OUTCOME_COMPLETED: Outcome
OUTCOME_ERROR: Outcome
OUTCOME_FATAL: Outcome
OUTCOME_TIMEOUT: Outcome
OUTCOME_UNSPECIFIED: Outcome

class Assignment(_message.Message):
    __slots__ = ["attempt", "content_type", "created_at_ms", "job_id", "max_retries", "payload", "queue", "timeout_ms", "type"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    content_type: str
    created_at_ms: int
    job_id: str
    max_retries: int
    payload: bytes
    queue: str
    timeout_ms: int
    type: str
    def __init__(self, job_id: _Optional[str] = ..., attempt: _Optional[int] = ..., type: _Optional[str] = ..., payload: _Optional[bytes] = ..., content_type: _Optional[str] = ..., queue: _Optional[str] = ..., timeout_ms: _Optional[int] = ..., max_retries: _Optional[int] = ..., created_at_ms: _Optional[int] = ...) -> None: ...

class Assignments(_message.Message):
    __slots__ = ["assignments"]
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    assignments: _containers.RepeatedCompositeFieldContainer[Assignment]
    def __init__(self, assignments: _Optional[_Iterable[_Union[Assignment, _Mapping]]] = ...) -> None: ...

class Cancel(_message.Message):
    __slots__ = ["leases", "reason"]
    LEASES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    leases: _containers.RepeatedCompositeFieldContainer[Lease]
    reason: str
    def __init__(self, leases: _Optional[_Iterable[_Union[Lease, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...

class Drain(_message.Message):
    __slots__ = ["reason"]
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class Goodbye(_message.Message):
    __slots__ = ["returned"]
    RETURNED_FIELD_NUMBER: _ClassVar[int]
    returned: _containers.RepeatedCompositeFieldContainer[Lease]
    def __init__(self, returned: _Optional[_Iterable[_Union[Lease, _Mapping]]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ["running"]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    running: _containers.RepeatedCompositeFieldContainer[RunningAttempt]
    def __init__(self, running: _Optional[_Iterable[_Union[RunningAttempt, _Mapping]]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ["concurrency", "held", "hostname", "job_types", "pid", "queues", "session_secret", "version", "worker_id"]
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    JOB_TYPES_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    SESSION_SECRET_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    concurrency: int
    held: _containers.RepeatedCompositeFieldContainer[Lease]
    hostname: str
    job_types: _containers.RepeatedScalarFieldContainer[str]
    pid: int
    queues: _containers.RepeatedScalarFieldContainer[str]
    session_secret: str
    version: str
    worker_id: str
    def __init__(self, worker_id: _Optional[str] = ..., concurrency: _Optional[int] = ..., queues: _Optional[_Iterable[str]] = ..., job_types: _Optional[_Iterable[str]] = ..., hostname: _Optional[str] = ..., pid: _Optional[int] = ..., version: _Optional[str] = ..., held: _Optional[_Iterable[_Union[Lease, _Mapping]]] = ..., session_secret: _Optional[str] = ...) -> None: ...

class Lease(_message.Message):
    __slots__ = ["attempt", "job_id"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    job_id: str
    def __init__(self, job_id: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class MasterMessage(_message.Message):
    __slots__ = ["acks", "assignments", "cancel", "drain", "welcome"]
    ACKS_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    DRAIN_FIELD_NUMBER: _ClassVar[int]
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    acks: ResultAcks
    assignments: Assignments
    cancel: Cancel
    drain: Drain
    welcome: Welcome
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., assignments: _Optional[_Union[Assignments, _Mapping]] = ..., cancel: _Optional[_Union[Cancel, _Mapping]] = ..., drain: _Optional[_Union[Drain, _Mapping]] = ..., acks: _Optional[_Union[ResultAcks, _Mapping]] = ...) -> None: ...

class Result(_message.Message):
    __slots__ = ["attempt", "content_type", "error", "finished_at_ms", "job_id", "outcome", "result", "started_at_ms"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    content_type: str
    error: str
    finished_at_ms: int
    job_id: str
    outcome: Outcome
    result: bytes
    started_at_ms: int
    def __init__(self, job_id: _Optional[str] = ..., attempt: _Optional[int] = ..., outcome: _Optional[_Union[Outcome, str]] = ..., result: _Optional[bytes] = ..., content_type: _Optional[str] = ..., error: _Optional[str] = ..., started_at_ms: _Optional[int] = ..., finished_at_ms: _Optional[int] = ...) -> None: ...

class ResultAck(_message.Message):
    __slots__ = ["accepted", "attempt", "job_id", "reason"]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    attempt: int
    job_id: str
    reason: str
    def __init__(self, job_id: _Optional[str] = ..., attempt: _Optional[int] = ..., accepted: bool = ..., reason: _Optional[str] = ...) -> None: ...

class ResultAcks(_message.Message):
    __slots__ = ["acks"]
    ACKS_FIELD_NUMBER: _ClassVar[int]
    acks: _containers.RepeatedCompositeFieldContainer[ResultAck]
    def __init__(self, acks: _Optional[_Iterable[_Union[ResultAck, _Mapping]]] = ...) -> None: ...

class Results(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[Result]
    def __init__(self, results: _Optional[_Iterable[_Union[Result, _Mapping]]] = ...) -> None: ...

class RunningAttempt(_message.Message):
    __slots__ = ["attempt", "job_id", "progress", "progress_message"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    job_id: str
    progress: float
    progress_message: str
    def __init__(self, job_id: _Optional[str] = ..., attempt: _Optional[int] = ..., progress: _Optional[float] = ..., progress_message: _Optional[str] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ["heartbeat_interval_ms", "heartbeat_timeout_ms", "master_version", "max_result_bytes", "reattached", "refused"]
    HEARTBEAT_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    MASTER_VERSION_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULT_BYTES_FIELD_NUMBER: _ClassVar[int]
    REATTACHED_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    heartbeat_interval_ms: int
    heartbeat_timeout_ms: int
    master_version: str
    max_result_bytes: int
    reattached: _containers.RepeatedCompositeFieldContainer[Lease]
    refused: _containers.RepeatedCompositeFieldContainer[Lease]
    def __init__(self, master_version: _Optional[str] = ..., heartbeat_interval_ms: _Optional[int] = ..., heartbeat_timeout_ms: _Optional[int] = ..., reattached: _Optional[_Iterable[_Union[Lease, _Mapping]]] = ..., refused: _Optional[_Iterable[_Union[Lease, _Mapping]]] = ..., max_result_bytes: _Optional[int] = ...) -> None: ...

class WorkerMessage(_message.Message):
    __slots__ = ["drain", "goodbye", "heartbeat", "hello", "results"]
    DRAIN_FIELD_NUMBER: _ClassVar[int]
    GOODBYE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    HELLO_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    drain: Drain
    goodbye: Goodbye
    heartbeat: Heartbeat
    hello: Hello
    results: Results
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., results: _Optional[_Union[Results, _Mapping]] = ..., goodbye: _Optional[_Union[Goodbye, _Mapping]] = ..., drain: _Optional[_Union[Drain, _Mapping]] = ...) -> None: ...

class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
