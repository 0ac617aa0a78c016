"""Test helpers: spawn the built nucleus CLI (master, TypeScript workers and clients) and Python
workers as real processes, read what they print, poll with deadlines, and never leave a process
behind (`Processes.kill_all`)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Callable, List, Optional, TypeVar

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
PROJECT_ROOT = PACKAGE_ROOT.parent.parent
BIN = PROJECT_ROOT / 'bin' / 'run.js'
HERE = Path(__file__).resolve().parent
T = TypeVar('T')


def child_env(extra: Optional[dict] = None) -> dict:
    """No NUCLEUS_* of the surrounding shell; this package and the tests' handlers importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('NUCLEUS_')}
    env.update({'CI': 'true', 'NO_COLOR': '1', 'PYTHONUNBUFFERED': '1'})
    env['PYTHONPATH'] = os.pathsep.join([str(PACKAGE_ROOT), str(HERE)])
    env.update(extra or {})
    return env


class Process:
    """A spawned process whose stdout and stderr are read as they come."""

    def __init__(self, args: List[str], env: Optional[dict] = None, cwd: Optional[str] = None):
        self.args = args
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(env), cwd=cwd or str(PROJECT_ROOT))
        self.pid = self.proc.pid
        self._out: List[str] = []
        self._err: List[str] = []
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, into: List[str]) -> None:
        for line in iter(stream.readline, b''):
            with self._changed:
                into.append(line.decode('utf-8', 'replace'))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def stdout(self) -> str:
        with self._changed:
            return ''.join(self._out)

    def stderr(self) -> str:
        with self._changed:
            return ''.join(self._err)

    def wait_for_line(self, pattern: str, stream: str = 'stderr', timeout: float = 30.0) -> re.Match:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                text = ''.join(self._err if stream == 'stderr' else self._out)
                match = re.search(pattern, text)
                if match:
                    return match
                if self.proc.poll() is not None and not any(r.is_alive() for r in self._readers):
                    raise AssertionError(f'{self.describe()} exited ({self.proc.returncode}) before printing {pattern!r}\n{self.tail()}')
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f'timed out after {timeout} s waiting for {pattern!r} from {self.describe()}\n{self.tail()}')
                self._changed.wait(min(left, 0.2))

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return code

    def describe(self) -> str:
        return f'{" ".join(self.args[-6:])} (pid {self.pid})'

    def tail(self, lines: int = 20) -> str:
        last = lambda text: '\n'.join(text.rstrip().splitlines()[-lines:])  # noqa: E731
        return f'--- stdout ---\n{last(self.stdout())}\n--- stderr ---\n{last(self.stderr())}'


class Processes:
    """Every process a test spawned, so that tearDown kills what is left."""

    def __init__(self) -> None:
        self.spawned: List[Process] = []

    def spawn(self, args: List[str], env: Optional[dict] = None, cwd: Optional[str] = None) -> Process:
        proc = Process(args, env, cwd)
        self.spawned.append(proc)
        return proc

    def nucleus(self, *args: str) -> Process:
        node = shutil.which('node')
        if node is None:
            raise AssertionError('node is not on PATH')
        if not (PROJECT_ROOT / 'dist' / 'commands' / 'index.js').exists():
            raise AssertionError('the CLI is not built: run `npm run build` first')
        return self.spawn([node, str(BIN), *args])

    def master(self, db: str, *args: str, port: int = 0) -> str:
        """Spawns `nucleus master` on 127.0.0.1, HTTP off; returns its host:port. Port 0 lets it
        pick one; give the old port to restart in place."""
        proc = self.nucleus('master', '--host', '127.0.0.1', '--port', str(port), '--http-port', '0', '--db', db, '--log-level', 'warn', *args)
        port = proc.wait_for_line(r'nucleus master listening: gRPC [^\s:]+:(\d+)').group(1)
        return f'127.0.0.1:{port}'

    def ts_worker(self, worker_id: str, master: str, *args: str) -> Process:
        return self.nucleus('worker', '--id', worker_id, '--master', master, '--log-level', 'warn', *args)

    def py_worker(self, worker_id: str, master: str, *args: str, handlers: str = 'handlers') -> Process:
        return self.spawn([sys.executable, '-m', 'nucleus_client', 'worker', '--id', worker_id, '--master', master,
                           '--handlers', handlers, '--log-level', 'info', *args])

    def kill_all(self) -> None:
        for proc in self.spawned:
            if proc.proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGCONT)  # a stopped process cannot die until woken
                except ProcessLookupError:
                    pass
                proc.proc.kill()
        for proc in self.spawned:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            for stream in (proc.proc.stdout, proc.proc.stderr):
                stream.close()
        self.spawned.clear()


def wait_for(check: Callable[[], Optional[T]], what: str, timeout: float = 30.0, interval: float = 0.05) -> T:
    """Polls `check` until it returns something truthy; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error: Optional[BaseException] = None
    while True:
        try:
            value = check()
            if value:
                return value
        except AssertionError:
            raise
        except Exception as error:  # noqa: BLE001 - polled calls may fail while things start
            last_error = error
        if time.monotonic() >= deadline:
            raise AssertionError(f'timed out after {timeout} s waiting for {what}' + (f' (last error: {last_error})' if last_error else ''))
        time.sleep(interval)


class ClusterTestCase(unittest.TestCase):
    """A temp directory and the processes of one test, cleaned up after it."""

    def setUp(self) -> None:
        self.procs = Processes()
        self.tmp = tempfile.mkdtemp(prefix='nucleus-py-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.addCleanup(self.procs.kill_all)

    def db(self) -> str:
        return os.path.join(self.tmp, 'nucleus.db')

    def wait_for_workers(self, client, ids: List[str], timeout: float = 30.0) -> None:
        def alive():
            seen = {w['id'] for w in client.stats()['workers'] if w['alive']}
            return all(i in seen for i in ids)
        wait_for(alive, f'workers {", ".join(ids)} to connect', timeout)
