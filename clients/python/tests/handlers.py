"""Handlers the tests' Python workers run (`--handlers handlers`)."""
import os
import time

from nucleus_client import NonRetryableError


def square(payload, ctx):
    return {'square': payload['n'] * payload['n'], 'by': os.environ.get('HANDLER_TAG', 'python')}


def sleep(payload, ctx):
    """Like the built-in sleep, in slices, so that SIGSTOP/SIGCONT and cancel are visible."""
    duration = payload['duration']
    ctx.progress(1, 'sleeping')  # the tests read it to know the handler has started
    end = time.monotonic() + duration
    while time.monotonic() < end:
        if ctx.wait(min(0.1, end - time.monotonic())):
            return None
    return {'slept': duration, 'by': 'python', 'pid': os.getpid()}


def stubborn(payload, ctx):
    """Ignores its cancellation flag: the worker must still give its slot back."""
    time.sleep(payload.get('duration', 2))
    return {'done': True}


def busy(payload, ctx):
    """Holds a core in Python code for `duration` seconds (heartbeats must still go out)."""
    end = time.monotonic() + payload['duration']
    n = 0
    while time.monotonic() < end:
        n += 1
    return {'spins': n}


def reject(payload, ctx):
    raise NonRetryableError('this payload can never work')


def big(payload, ctx):
    """A result of `bytes` characters (as a JSON string: two more bytes)."""
    return 'x' * payload['bytes']


def flaky(payload, ctx):
    if ctx.attempt < 2:
        raise RuntimeError('first attempt fails')
    return {'attempt': ctx.attempt}


HANDLERS = {'square': square, 'sleep': sleep, 'stubborn': stubborn, 'busy': busy, 'reject': reject, 'flaky': flaky, 'big': big}
