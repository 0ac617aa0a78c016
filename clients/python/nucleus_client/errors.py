"""The errors of this package: what a master answered (a gRPC status and its message), and what a
handler raises to say that no retry can help."""
import re

import grpc


class NucleusError(Exception):
    """A call to the master failed. `code` is the gRPC status (`grpc.StatusCode.INVALID_ARGUMENT`,
    `NOT_FOUND`, `FAILED_PRECONDITION`, `RESOURCE_EXHAUSTED`, `UNAUTHENTICATED`, `UNAVAILABLE`,
    `DEADLINE_EXCEEDED`, ...), `message` says what went wrong for a person (the master names the
    field and the limit of a bad input), `code_name` is the code as text."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def code_name(self) -> str:
        return self.code.name

    def __str__(self) -> str:
        return f'{self.code.name}: {self.message}'


class WorkerRefused(NucleusError):
    """The master refused a worker for good (a Hello it cannot take, a missing or wrong token, an
    id held by another live worker): retrying with the same settings cannot help."""


class NonRetryableError(Exception):
    """Raised by a handler when no retry can help (bad payload, a refused operation): the attempt
    ends `fatal` and the job `failed` at once. Any exception with `retryable = False` counts too."""

    retryable = False


def invalid_argument(field: str, message: str) -> NucleusError:
    """A bad input caught before it was sent, named like the master names its fields."""
    return NucleusError(grpc.StatusCode.INVALID_ARGUMENT, f'{field}: {message}')


def from_rpc_error(error: grpc.RpcError, address: str) -> NucleusError:
    """A grpcio error as a NucleusError with one line a person can act on."""
    code = error.code() if hasattr(error, 'code') else grpc.StatusCode.UNKNOWN
    details = (error.details() if hasattr(error, 'details') else None) or str(error) or 'unknown error'
    if code == grpc.StatusCode.UNAVAILABLE and re.search(r'connect|refused|resolve|DNS|handshake', details, re.I):
        return NucleusError(code, f'cannot reach the master at {address} ({_short_reason(details)})')
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return NucleusError(code, f'the master at {address} did not answer in time')
    return NucleusError(code, details)


def _short_reason(details: str) -> str:
    if re.search(r'refused', details, re.I):
        return 'connection refused'
    if re.search(r'resolve|DNS|not known', details, re.I):
        return 'unknown host'
    if re.search(r'handshake|ssl|certificate', details, re.I):
        return 'TLS handshake failed'
    return details.splitlines()[0][:120]
