"""The worker: one WorkerService.Connect stream to a master, handlers run on threads, heartbeats
from a thread of their own, results kept until the master acknowledges them.

Guarantees:
- Never runs more attempts at once than its concurrency (the master never sends more; an attempt
  aborted by cancel or timeout gives its slot back at once, even if its handler runs on).
- Heartbeats go out every interval from their own thread, so a busy handler never makes the
  worker miss one (a handler holding the GIL in C code for longer than the heartbeat timeout
  still would: run such work in a subprocess).
- A result is kept until acknowledged, and sent again after a reconnect or when no ack came
  within two heartbeat intervals. The master fences duplicates by lease.
- While the master is away it keeps running what it holds and reconnects with backoff (to the
  next master of the list); the Hello after a reconnect lists what it still holds, so the master
  can re-attach those leases. Leases the master refuses are dropped: their results would be
  refused, as a late result is.
- stop() (and SIGTERM under run()): takes no more work, lets running handlers finish within the
  grace period, gives back (Goodbye) what is left, waits briefly for its results' acks.

A handler is `handler(payload, ctx)`: the payload decoded from JSON (bytes for other content
types); what it returns is the result (bytes as they are, anything else as JSON). It reads
`ctx.cancelled` (or sleeps with `ctx.wait(seconds)`, which returns early on cancel) to stop when
the job is cancelled or times out, and reports `ctx.progress(percent, message)`.
"""
import logging
import os
import random
import secrets
import signal
import socket
import threading
import time
from typing import Any, Callable, Dict, Optional, Sequence, Union

import grpc

from ._channel import DEFAULT_MASTER, TlsOption, auth_metadata, open_channel, parse_masters
from ._generated.nucleus.v1 import worker_pb2, worker_pb2_grpc
from ._link import ENVELOPE_BYTES, MESSAGE_BYTES, Link, in_parts
from .attempt import Attempt, Context
from .errors import WorkerRefused, from_rpc_error, invalid_argument
from .jobs import decode, encode

Handler = Callable[[Any, Context], Any]

VERSION = '0.1.0'
MAX_ERROR_CHARS = 16 * 1024
#: Statuses that end a stream before its Welcome for a reason the next attempt would meet again:
#: a Hello the master cannot take, a missing or wrong token, an id held by another live worker.
#: Anything else (the master away, starting, draining) is worth a reconnect.
PERMANENT = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED,
                       grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.ALREADY_EXISTS})
#: The master takes messages of its payload limit plus this much.
MASTER_MESSAGE_HEADROOM = 64 * 1024
OUTCOMES = {
    'completed': worker_pb2.OUTCOME_COMPLETED,
    'error': worker_pb2.OUTCOME_ERROR,
    'fatal': worker_pb2.OUTCOME_FATAL,
    'timeout': worker_pb2.OUTCOME_TIMEOUT,
    'cancelled': worker_pb2.OUTCOME_CANCELLED,
}

log = logging.getLogger('nucleus_client.worker')


class Worker:
    """`Worker(masters, id, concurrency, handlers={"type": fn}, queues=["default"], token, tls)`.

    `start()` connects and returns; `run()` starts, stops on SIGTERM or SIGINT, and returns once
    stopped; `stop(grace)` drains."""

    def __init__(self, masters: Union[str, Sequence[str]] = (DEFAULT_MASTER,), id: Optional[str] = None, concurrency: int = 4,
                 handlers: Optional[Dict[str, Handler]] = None, queues: Sequence[str] = ('default',), token: Optional[str] = None,
                 tls: TlsOption = None, grace: float = 30.0, heartbeat_interval: float = 3.0):
        self._masters = parse_masters(masters)
        self.id = id or f'{socket.gethostname()}-{os.getpid()}'
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise invalid_argument('concurrency', f'must be a positive integer (got {concurrency!r})')
        if not handlers:
            raise invalid_argument('handlers', 'give at least one handler: {"type": function}')
        for name, fn in handlers.items():
            if not callable(fn):
                raise invalid_argument(f'handlers.{name}', 'must be a function (payload, ctx) -> result')
        self.concurrency = concurrency
        self.handlers = dict(handlers)
        self.queues = list(queues) or ['default']
        self.grace = grace
        self._metadata = auth_metadata(token)
        self._tls = tls
        self._heartbeat_interval = heartbeat_interval
        self._max_result_bytes = 1024 * 1024
        self._state = 'starting'
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._running: Dict[tuple, Attempt] = {}
        self._unacked: Dict[tuple, list] = {}  # key -> [Result, sent_at (monotonic)]
        self._link: Optional[Link] = None
        self._wake = threading.Event()  # the clock thread: a new deadline, or stop
        self._stopped = threading.Event()
        self._connected = threading.Event()
        self._threads: list = []
        # Made once per worker and sent only in Hello: the master binds this worker's leases to
        # it, so that after a reconnect this worker (and no other process with its id) gets them back.
        self._session_secret = secrets.token_urlsafe(24)
        self.jobs_done = 0
        #: Set when the master refused this worker for good (see PERMANENT); it then stops.
        self.refused: Optional[WorkerRefused] = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def state(self) -> str:
        return self._state

    @property
    def busy(self) -> int:
        return len(self._running)

    def start(self) -> None:
        with self._lock:
            if self._state != 'starting':
                raise RuntimeError(f'cannot start a worker that is {self._state}')
            self._state = 'running'
        for target, name in ((self._connection_loop, 'connection'), (self._clock, 'heartbeat')):
            thread = threading.Thread(target=target, name=f'nucleus-worker-{name}', daemon=True)
            thread.start()
            self._threads.append(thread)

    def wait_connected(self, timeout: Optional[float] = None) -> bool:
        """True once the master has welcomed this worker (on the current connection)."""
        return self._connected.wait(timeout)

    def run(self) -> None:
        """Starts, and stops (draining) on SIGTERM or SIGINT; returns once stopped. Raises
        WorkerRefused when the master refused this worker for good (bad Hello, missing or wrong
        token, id in use): a restart with the same settings would fail the same way. Call it from
        the main thread (signal handlers can only be set there)."""
        def on_signal(signum: int, _frame: Any) -> None:
            log.info('%s: draining', signal.Signals(signum).name)
            threading.Thread(target=self.stop, name='nucleus-worker-stop', daemon=True).start()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not self._stopped.wait(0.5):
                pass
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        if self.refused is not None:
            raise self.refused

    def stop(self, grace: Optional[float] = None) -> None:
        """Drains: no more work; running handlers get `grace` seconds (default: the worker's)
        to finish, then are aborted and given back. Returns once stopped."""
        with self._lock:
            first = self._state == 'running'
            if self._state == 'starting':
                self._state = 'stopped'
                self._stopped.set()
            elif first:
                self._state = 'draining'
                self._send(worker_pb2.WorkerMessage(drain=worker_pb2.Drain(reason='worker stopping')))
                log.info('draining: %d running, grace %.1f s', len(self._running), self.grace if grace is None else grace)
        if first:
            self._drain(self.grace if grace is None else grace)
        self._stopped.wait()

    def _drain(self, grace: float) -> None:
        self._until(lambda: not self._running, grace)
        with self._lock:
            left = list(self._running.values())
            for attempt in left:
                self._abort(attempt.key, 'shutdown')
            if left:
                log.warning('grace period over: giving back %d unfinished jobs', len(left))
                returned = [worker_pb2.Lease(job_id=a.job_id, attempt=a.number) for a in left]
                self._send(worker_pb2.WorkerMessage(goodbye=worker_pb2.Goodbye(returned=returned)))
        self._until(lambda: not self._unacked, 3.0 if self._connected.is_set() else 0.0)
        with self._lock:
            if self._unacked:
                log.warning('stopping with %d unacknowledged results', len(self._unacked))
            self._state = 'stopped'
            link = self._link
            self._connected.clear()
        self._wake.set()
        self._stopped.set()  # ends the reconnect wait
        if link is not None:
            # Half-close after what is queued (Goodbye included); the master then ends its side.
            link.close()
            self._threads[0].join(5.0)
            if link.call is not None:
                link.call.cancel()
        log.info('stopped')

    def _until(self, condition: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.1))
        return True

    # ------------------------------------------------------------------ connection

    def _connection_loop(self) -> None:
        failures = 0
        index = 0
        channels: Dict[int, grpc.Channel] = {}
        try:
            while self._state != 'stopped':
                address = self._masters[index]
                channel = channels.get(index) or channels.setdefault(index, open_channel(address, self._tls))
                link = Link()
                welcomed = False
                code = None
                reason = 'stream ended'
                try:
                    with self._lock:
                        if self._state == 'stopped':
                            return
                        self._link = link
                        link.send(self._hello())
                    link.call = worker_pb2_grpc.WorkerServiceStub(channel).Connect(link.requests(), metadata=self._metadata)
                    for message in link.call:
                        welcomed = welcomed or message.HasField('welcome')
                        self._on_message(link, message, address)
                except grpc.RpcError as error:
                    code = error.code()
                    reason = from_rpc_error(error, address).message
                finally:
                    link.close()
                    with self._lock:
                        if self._link is link:
                            self._link = None
                        self._connected.clear()
                if self._state == 'stopped':
                    return
                failures = 0 if welcomed else failures + 1
                delay = min(5.0, 0.2 * 2 ** failures) * random.uniform(0.8, 1.2)
                if not welcomed and code in PERMANENT:
                    self.refused = WorkerRefused(code, f'the master at {address} refused this worker: {reason}')
                    log.error('%s', self.refused.message)
                    threading.Thread(target=self.stop, name='nucleus-worker-stop', daemon=True).start()
                    return
                if welcomed or failures == 1:
                    log.warning('lost the master at %s (%s); reconnecting in %.1f s, holding %d jobs', address, reason, delay, len(self._running))
                if not welcomed:
                    # A fresh channel connects at once; a failed one would wait out grpc's own
                    # reconnect backoff (seconds, past our heartbeat timeout) before trying again.
                    channels.pop(index).close()
                    index = (index + 1) % len(self._masters)
                if self._stopped.wait(delay):
                    return
        finally:
            for channel in channels.values():
                channel.close()

    def _hello(self) -> worker_pb2.WorkerMessage:
        held = [worker_pb2.Lease(job_id=a.job_id, attempt=a.number) for a in self._running.values()]
        held += [worker_pb2.Lease(job_id=r.job_id, attempt=r.attempt) for r, _ in self._unacked.values()]
        hello = worker_pb2.Hello(
            worker_id=self.id, concurrency=self.concurrency, queues=self.queues, job_types=list(self.handlers),
            hostname=socket.gethostname(), pid=os.getpid(), version=VERSION, held=held, session_secret=self._session_secret,
        )
        return worker_pb2.WorkerMessage(hello=hello)

    def _send(self, message: worker_pb2.WorkerMessage) -> None:
        link = self._link
        if link is not None and link.welcomed:
            link.send(message)

    def _on_message(self, link: Link, message: worker_pb2.MasterMessage, address: str) -> None:
        kind = message.WhichOneof('msg')
        with self._lock:
            if kind == 'welcome':
                welcome = message.welcome
                if welcome.max_result_bytes > 0:
                    self._max_result_bytes = welcome.max_result_bytes
                link.budget = self._message_budget()
                if welcome.heartbeat_interval_ms > 0:
                    self._heartbeat_interval = welcome.heartbeat_interval_ms / 1000
                for lease in welcome.refused:
                    key = (lease.job_id, lease.attempt)
                    if self._unacked.pop(key, None) is not None:
                        log.warning('result refused by the master: job %s attempt %d is no longer this worker\'s', lease.job_id, lease.attempt)
                    elif key in self._running:
                        log.warning('lease refused by the master: job %s attempt %d is no longer this worker\'s; its handler is told to stop',
                                    lease.job_id, lease.attempt)
                    self._abort(key, 'refused')
                link.welcomed = True
                self._connected.set()
                log.info('connected to the master at %s (%d leases re-attached)', address, len(welcome.reattached))
                if self._state == 'draining':
                    link.send(worker_pb2.WorkerMessage(drain=worker_pb2.Drain(reason='worker stopping')))
                self._resend(0.0)
                self._wake.set()  # heartbeat interval may have changed
            elif kind == 'assignments':
                for assignment in message.assignments.assignments:
                    self._start_attempt(assignment)
            elif kind == 'cancel':
                reason = 'timeout' if message.cancel.reason == 'timeout' else 'cancelled'
                for lease in message.cancel.leases:
                    self._abort((lease.job_id, lease.attempt), reason)
            elif kind == 'acks':
                for ack in message.acks.acks:
                    self._unacked.pop((ack.job_id, ack.attempt), None)
                    if not ack.accepted:
                        log.warning('result refused by the master: job %s attempt %d (%s)', ack.job_id, ack.attempt, ack.reason)
                self._changed.notify_all()
            elif kind == 'drain':
                log.info('the master is draining (%s)', message.drain.reason)

    # ------------------------------------------------------------------ heartbeats and deadlines

    def _clock(self) -> None:
        last_beat = time.monotonic()
        while not self._stopped.is_set():
            self._wake.clear()
            now = time.monotonic()
            # Read each turn: the master's Welcome may have changed the interval.
            next_beat = last_beat + self._heartbeat_interval
            if now >= next_beat:
                self._heartbeat()
                last_beat = now
                next_beat = now + self._heartbeat_interval
            with self._lock:
                expired = [a.key for a in self._running.values() if a.deadline <= now]
                for key in expired:
                    self._abort(key, 'timeout')
                next_deadline = min((a.deadline for a in self._running.values()), default=float('inf'))
            self._wake.wait(max(0.0, min(next_beat, next_deadline) - time.monotonic()))

    def _heartbeat(self) -> None:
        with self._lock:
            running = [
                worker_pb2.RunningAttempt(job_id=a.job_id, attempt=a.number, progress=a.progress, progress_message=a.message)
                for a in self._running.values()
            ]
            for part in in_parts(running, self._message_budget()) if running else [[]]:
                self._send(worker_pb2.WorkerMessage(heartbeat=worker_pb2.Heartbeat(running=part)))
            self._resend(2 * self._heartbeat_interval)

    def _message_budget(self) -> int:
        """The most one message to the master may hold: it takes its payload limit plus 64 KiB."""
        return min(MESSAGE_BYTES, self._max_result_bytes + MASTER_MESSAGE_HEADROOM - ENVELOPE_BYTES)

    def _resend(self, older_than: float) -> None:
        """Sends again the results not acknowledged within `older_than` seconds (lock held)."""
        now = time.monotonic()
        due = []
        for entry in self._unacked.values():
            if now - entry[1] >= older_than:
                entry[1] = now
                due.append(entry[0])
        self._send_results(due)

    def _send_results(self, results: list) -> None:
        """Results in messages that fit the master's limit (one result per message at least): the
        master ends a stream whose message is over its limit."""
        for part in in_parts(results, self._message_budget()):
            self._send(worker_pb2.WorkerMessage(results=worker_pb2.Results(results=part)))

    # ------------------------------------------------------------------ execution

    def _start_attempt(self, assignment: worker_pb2.Assignment) -> None:
        key = (assignment.job_id, assignment.attempt)
        if key in self._running:
            return
        if self._state != 'running':
            # Sent before the master read our Drain: give it back unstarted rather than begin
            # work that the grace period may cut short (or that a closing stream would lose).
            lease = worker_pb2.Lease(job_id=assignment.job_id, attempt=assignment.attempt)
            self._send(worker_pb2.WorkerMessage(goodbye=worker_pb2.Goodbye(returned=[lease])))
            return
        attempt = Attempt(assignment)
        self._running[key] = attempt
        if attempt.deadline < float('inf'):
            self._wake.set()
        threading.Thread(target=self._run, args=(attempt,), name=f'nucleus-job-{assignment.job_id}', daemon=True).start()

    def _run(self, attempt: Attempt) -> None:
        a = attempt.assignment
        outcome, value, error = 'completed', None, ''
        try:
            handler = self.handlers.get(a.type)
            if handler is None:
                raise _Fatal(f'unknown job type "{a.type}" (this worker runs: {", ".join(self.handlers)})')
            try:
                payload = decode(a.payload, a.content_type)
            except ValueError as caught:
                raise _Fatal(f'payload is not valid JSON ({caught})') from None
            value = handler(payload, Context(attempt))
        except BaseException as caught:  # noqa: B902 - a handler's SystemExit must not end the worker
            outcome = 'fatal' if getattr(caught, 'retryable', True) is False else 'error'
            name = type(caught).__name__
            error = str(caught) if name in ('Exception', '_Fatal') else f'{name}: {caught}'
        result, content_type = b'', ''
        if outcome == 'completed':
            try:
                result, content_type = encode(value)
            except (TypeError, ValueError) as caught:
                outcome, error = 'fatal', f"the handler's result cannot be encoded as JSON ({caught})"
        if len(result) > self._max_result_bytes:
            outcome = 'fatal'
            error = f"result of {len(result)} bytes is over the master's limit of {self._max_result_bytes} bytes (--max-payload)"
            result, content_type = b'', ''
        with self._lock:
            if attempt.ended:
                return  # aborted meanwhile: reported (or given back) already
            self._end(attempt, outcome, result, content_type, error)
            if outcome == 'completed':
                self.jobs_done += 1

    def _abort(self, key: tuple, reason: str) -> None:
        """Ends an attempt now (lock held); its handler is told through ctx and may run on."""
        attempt = self._running.get(key)
        if attempt is None or attempt.ended:
            return
        attempt.abort_reason = reason
        attempt.aborted.set()
        if reason in ('shutdown', 'refused'):
            attempt.ended = True  # given back, or no longer ours: nothing to report
            del self._running[key]
            self._changed.notify_all()
            return
        error = f'timed out after {attempt.assignment.timeout_ms} ms' if reason == 'timeout' else 'cancelled'
        self._end(attempt, reason, b'', '', error)

    def _end(self, attempt: Attempt, outcome: str, result: bytes, content_type: str, error: str) -> None:
        attempt.ended = True
        self._running.pop(attempt.key, None)
        message = worker_pb2.Result(
            job_id=attempt.job_id, attempt=attempt.number, outcome=OUTCOMES[outcome], result=result,
            content_type=content_type, error=error[:MAX_ERROR_CHARS],
            started_at_ms=attempt.started_at_ms, finished_at_ms=int(time.time() * 1000),
        )
        self._unacked[attempt.key] = [message, time.monotonic()]
        self._send_results([message])
        self._changed.notify_all()


class _Fatal(Exception):
    """The worker's own non-retryable errors (unknown type, undecodable payload)."""

    retryable = False


__all__ = ['Worker', 'Context', 'Handler']
