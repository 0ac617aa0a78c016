"""Channels to the masters: TLS, the token, message limits and keepalive, made in one place for
the client and the worker alike."""
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import grpc

from .errors import invalid_argument

DEFAULT_MASTER = '127.0.0.1:50051'
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

# The same as the TypeScript clients': keepalive finds a dead connection within half a minute,
# reconnects are quick on a local network.
_OPTIONS = (
    ('grpc.max_receive_message_length', MAX_MESSAGE_BYTES),
    ('grpc.max_send_message_length', MAX_MESSAGE_BYTES),
    ('grpc.keepalive_time_ms', 20_000),
    ('grpc.keepalive_timeout_ms', 10_000),
    ('grpc.initial_reconnect_backoff_ms', 200),
    ('grpc.max_reconnect_backoff_ms', 2_000),
)


@dataclass(frozen=True)
class Tls:
    """TLS to the master. `ca`: PEM file of the CA that signed the master's certificate (None: the
    system's roots). `cert` and `key`: this side's certificate for a master that asks for one
    (mutual TLS)."""

    ca: Optional[str] = None
    cert: Optional[str] = None
    key: Optional[str] = None


TlsOption = Union[None, bool, Tls]


def parse_masters(masters: Union[str, Sequence[str]]) -> list:
    """`"a:50051,b:50051"` or `["a:50051", "b:50051"]` -> a list of addresses, in order."""
    items = masters.split(',') if isinstance(masters, str) else list(masters)
    addresses = [str(m).strip() for m in items if str(m).strip()]
    if not addresses:
        raise invalid_argument('masters', 'give at least one master address (host:port)')
    for address in addresses:
        host, sep, port = address.rpartition(':')
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise invalid_argument('masters', f'"{address}" is not host:port')
    return addresses


def auth_metadata(token: Optional[str]) -> tuple:
    """What every call carries when the master asks for a token."""
    return (('authorization', f'Bearer {token}'),) if token else ()


def _read(path: Optional[str], field: str) -> Optional[bytes]:
    if path is None:
        return None
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as error:
        raise invalid_argument(field, f'cannot read {path} ({error.strerror})') from None
    if b'-----BEGIN ' not in data:
        raise invalid_argument(field, f'{path} is not a PEM file (no "-----BEGIN" line)')
    return data


def open_channel(address: str, tls: TlsOption) -> grpc.Channel:
    if not tls:
        return grpc.insecure_channel(address, options=_OPTIONS)
    files = tls if isinstance(tls, Tls) else Tls()
    if (files.cert is None) != (files.key is None):
        raise invalid_argument('tls.cert' if files.cert is None else 'tls.key', 'a client certificate needs both cert and key')
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(files.ca, 'tls.ca'),
        private_key=_read(files.key, 'tls.key'),
        certificate_chain=_read(files.cert, 'tls.cert'),
    )
    return grpc.secure_channel(address, credentials, options=_OPTIONS)
