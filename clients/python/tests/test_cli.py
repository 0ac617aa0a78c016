"""`python -m nucleus_client submit|status|result` against a real master: output, --json and the
exit codes (those of `nucleus`: 0 ok, 1 failed, 2 bad input, 3 unreachable, 4 no such job)."""
import json
import subprocess
import sys
import unittest

from helpers import PACKAGE_ROOT, ClusterTestCase, child_env


class CliTest(ClusterTestCase):
    def cli(self, *args, master=None):
        done = subprocess.run([sys.executable, '-m', 'nucleus_client', *args, '--master', master or self.master],
                              env=child_env(), cwd=str(PACKAGE_ROOT), capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    def test_given_a_master_then_submit_status_and_result_print_and_exit_as_documented(self):
        self.master = self.procs.master(self.db())
        # submit prints the id; status says queued (no worker for this queue yet).
        code, out, err = self.cli('submit', 'square', '{"n": 6}', '--queue', 'py', '--priority', '1')
        self.assertEqual(0, code, err)
        job_id = out.strip()
        self.assertRegex(job_id, r'^\d+$')
        code, out, _ = self.cli('status', job_id)
        self.assertEqual((0, f'job {job_id}: queued (type square, queue py, attempt 0)\n'), (code, out))
        # result without --wait on an unfinished job: says so, exit 1.
        code, out, _ = self.cli('result', job_id)
        self.assertEqual((1, f'job {job_id}: queued (not finished)\n'), (code, out))

        # With a worker on that queue, result --wait prints the handler's value.
        self.procs.py_worker('py-cli', self.master, '--queues', 'py')
        code, out, err = self.cli('result', job_id, '--wait', '--wait-timeout', '30s')
        self.assertEqual((0, '{"square": 36, "by": "python"}\n'), (code, out), err)
        code, out, _ = self.cli('status', job_id, '--json')
        job = json.loads(out)
        self.assertEqual((0, 'completed', 1, {'square': 36, 'by': 'python'}), (code, job['status'], job['priority'], job['result']))

        # A job that fails: submit --wait exits 1 and prints the error.
        code, out, _ = self.cli('submit', 'reject', '--queue', 'py', '--wait')
        self.assertEqual(1, code)
        self.assertIn('failed', out)
        self.assertIn('this payload can never work', out)

        # Bad input: exit 2 naming the field; --json errors are JSON too.
        code, out, err = self.cli('submit', 'square', '--priority', '11', '--json')
        self.assertEqual(2, code)
        self.assertEqual('INVALID_ARGUMENT', json.loads(out)['error']['code'])
        self.assertIn('job.priority', err)
        code, _, err = self.cli('submit', 'square', '--timeout', 'soon')
        self.assertEqual(2, code)
        self.assertIn('"soon" is not a duration', err)
        # A worker given handlers it cannot load, or a bad concurrency: exit 2, one line.
        code, _, err = self.cli('worker', '--handlers', 'no_such_module')
        self.assertEqual((2, "error: --handlers: cannot import no_such_module (No module named 'no_such_module')\n"), (code, err))
        code, _, err = self.cli('worker', '--handlers', 'handlers', '--concurrency', '0')
        self.assertEqual((2, 'error: INVALID_ARGUMENT: concurrency: must be a positive integer (got 0)\n'), (code, err))
        # No such job: 4. Unreachable master: 3, one line.
        code, _, err = self.cli('status', '424242')
        self.assertEqual((4, 'error: NOT_FOUND: job 424242 not found\n'), (code, err))
        code, _, err = self.cli('status', '1', master='127.0.0.1:1')
        self.assertEqual(3, code)
        self.assertEqual(1, len(err.strip().splitlines()), err)
        self.assertIn('cannot reach the master at 127.0.0.1:1', err)


if __name__ == '__main__':
    unittest.main()
