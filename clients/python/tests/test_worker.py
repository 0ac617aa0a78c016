"""The Python worker against a real master: jobs from the TypeScript client, the cancellation
flag (cancel and timeout), heartbeats while a handler is busy, and draining on SIGTERM."""
import json
import signal
import unittest

from helpers import ClusterTestCase, wait_for
from nucleus_client import Client


class WorkerTest(ClusterTestCase):
    def start(self, *master_args):
        self.master = self.procs.master(self.db(), *master_args)
        self.client = Client([self.master], timeout=15)
        self.addCleanup(self.client.close)

    def started(self, job_id):
        """Waits until the worker's handler has begun (its progress came with a heartbeat): a job
        the master shows running may still be on its way to the worker."""
        wait_for(lambda: self.client.get(job_id).progress_message == 'sleeping', f'job {job_id} to start on its worker')

    def history(self, job_id):
        return [(a.worker_id, a.outcome) for a in self.client.get(job_id).attempts]

    def finished(self, job_id, timeout=30.0):
        return wait_for(lambda: (lambda j: j if j.finished else None)(self.client.get(job_id)), f'job {job_id} to finish', timeout)

    def test_given_a_python_worker_when_the_typescript_client_submits_then_the_python_handlers_run_them(self):
        # Given a Python worker.
        self.start()
        worker = self.procs.py_worker('py-1', self.master, '--concurrency', '4')
        self.wait_for_workers(self.client, ['py-1'])

        # When the TypeScript CLI submits and waits, its job runs on the Python worker.
        cli = self.procs.nucleus('submit', 'square', '{"n": 12}', '--master', self.master, '--wait', '--json')
        self.assertEqual(0, cli.wait(60), cli.tail())
        answer = json.loads(cli.stdout())
        self.assertEqual({'square': 144, 'by': 'python'}, answer.get('result', answer))

        # And a job the handler refuses for good fails at once, with the handler's message.
        cli = self.procs.nucleus('submit', 'reject', '{}', '--master', self.master, '--wait')
        self.assertEqual(1, cli.wait(60), cli.tail())
        job = self.client.get(self.client.stats() and next(j.id for j in self.client.list('failed')))
        self.assertEqual(('failed', [('py-1', 'fatal')]), (job.status, [(a.worker_id, a.outcome) for a in job.attempts]))
        self.assertIn('this payload can never work', job.error)

        # And a retryable error is retried: the second attempt succeeds.
        cli = self.procs.nucleus('submit', 'flaky', '{}', '--master', self.master, '--backoff', '10ms', '--wait')
        self.assertEqual(0, cli.wait(60), cli.tail())
        self.assertEqual({'attempt': 2}, json.loads(cli.stdout()))

        # And the master knows it by the types in its handlers module, and it is still running.
        from handlers import HANDLERS
        self.assertIsNone(worker.proc.poll())
        self.assertEqual(sorted(HANDLERS), sorted(next(w for w in self.client.stats()['workers'] if w['id'] == 'py-1')['job_types']))

    def test_given_running_jobs_when_cancelled_or_timed_out_then_the_flag_stops_them_and_slots_come_back(self):
        self.start()
        self.procs.py_worker('py-1', self.master, '--concurrency', '1')
        self.wait_for_workers(self.client, ['py-1'])

        # A cancelled job: its handler sees the flag and the attempt ends cancelled.
        job_id = self.client.submit('sleep', {'duration': 30})
        wait_for(lambda: self.client.get(job_id).status == 'running', 'the job to run')
        self.assertEqual('cancelled', self.client.cancel(job_id).status)
        wait_for(lambda: self.history(job_id) == [('py-1', 'cancelled')], 'the worker to report the cancel', 15)

        # A job past its timeout: aborted by the worker's own clock, retried, then dead-lettered.
        job_id = self.client.submit('sleep', {'duration': 30}, timeout=0.5, max_retries=1, backoff_base=0.01)
        job = self.finished(job_id)
        self.assertEqual('dead_letter', job.status)
        self.assertEqual([('py-1', 'timeout'), ('py-1', 'timeout')], [(a.worker_id, a.outcome) for a in job.attempts])
        self.assertIn('timed out after 500 ms', job.attempts[0].error)

        # A handler that ignores its flag still gives its one slot back at once when cancelled.
        stubborn = self.client.submit('stubborn', {'duration': 20})
        wait_for(lambda: self.client.get(stubborn).status == 'running', 'the stubborn job to run')
        self.client.cancel(stubborn)
        quick = self.client.submit('square', {'n': 3})
        self.assertEqual({'square': 9, 'by': 'python'}, self.finished(quick, 10).result)

    def test_given_a_handler_holding_a_core_past_the_heartbeat_timeout_then_heartbeats_keep_its_lease(self):
        # Given heartbeats every 300 ms and a 2 s timeout, and a handler spinning in Python for 4 s.
        self.start('--heartbeat-interval', '300ms', '--heartbeat-timeout', '2s')
        self.procs.py_worker('py-1', self.master, '--concurrency', '2')
        self.wait_for_workers(self.client, ['py-1'])
        ids = [self.client.submit('busy', {'duration': 4}) for _ in range(2)]
        # Then both complete on their first attempt: the worker was never declared dead.
        for job_id in ids:
            job = self.finished(job_id, 40)
            self.assertEqual(('completed', [('py-1', 'completed')]), (job.status, [(a.worker_id, a.outcome) for a in job.attempts]))

    def test_given_sigterm_then_running_jobs_finish_within_the_grace_and_the_rest_are_given_back(self):
        self.start('--heartbeat-interval', '300ms')
        # A worker with a long grace: its running job finishes, then it exits 0.
        worker = self.procs.py_worker('py-drain', self.master, '--concurrency', '1', '--grace', '30s')
        self.wait_for_workers(self.client, ['py-drain'])
        job_id = self.client.submit('sleep', {'duration': 3})
        self.started(job_id)
        worker.signal(signal.SIGTERM)
        self.assertEqual(0, worker.wait(30), worker.tail())
        self.assertEqual(('completed', [('py-drain', 'completed')]), (self.client.get(job_id).status, self.history(job_id)))
        self.assertIn('draining', worker.stderr())

        # A worker with a short grace: its job is given back, not counted as a failure.
        worker = self.procs.py_worker('py-short', self.master, '--concurrency', '1', '--grace', '300ms')
        self.wait_for_workers(self.client, ['py-short'])
        job_id = self.client.submit('sleep', {'duration': 30})
        self.started(job_id)
        worker.signal(signal.SIGTERM)
        self.assertEqual(0, worker.wait(30), worker.tail())
        job = wait_for(lambda: (lambda j: j if j.status == 'queued' else None)(self.client.get(job_id)), 'the job to be queued again', 15)
        self.assertEqual(([('py-short', 'returned')], 0), ([(a.worker_id, a.outcome) for a in job.attempts], job.failures))
        self.assertIn('giving back 1 unfinished jobs', worker.stderr())

    def test_given_a_live_worker_when_a_second_process_takes_its_id_then_the_second_exits_5_saying_why(self):
        self.start()
        first = self.procs.py_worker('py-same', self.master, '--concurrency', '1')
        self.wait_for_workers(self.client, ['py-same'])
        second = self.procs.py_worker('py-same', self.master, '--concurrency', '1')
        # Refused for good: a restart with the same id would fail the same way.
        self.assertEqual(5, second.wait(30), second.tail())
        self.assertRegex(second.stderr(), r'error: ALREADY_EXISTS: the master at [^\n]* refused this worker: [^\n]*py-same')
        self.assertNotIn('Traceback', second.stderr())
        # The first keeps the id and its work.
        job_id = self.client.submit('square', {'n': 5})
        self.assertEqual(25, self.finished(job_id).result['square'])
        workers = [w for w in self.client.stats()['workers'] if w['id'] == 'py-same']
        self.assertEqual([first.pid], [w['pid'] for w in workers if w['alive']])

    def test_given_a_small_message_limit_when_many_large_results_end_together_then_each_message_fits_and_an_oversized_result_fails(self):
        # Given a master taking payloads (and results) of at most 64 KiB, messages of 128 KiB.
        self.start('--max-payload', '64KiB')
        self.procs.py_worker('py-big', self.master, '--concurrency', '16')
        self.wait_for_workers(self.client, ['py-big'])
        # When sixteen 40 KB results finish at about the same time (640 KB together).
        ids = self.client.submit_many([{'type': 'big', 'payload': {'bytes': 40_000}} for _ in range(16)])
        # Then each completes on its first attempt: no message was refused, no stream was reset.
        for job_id in ids:
            job = self.finished(job_id, 60)
            self.assertEqual(('completed', 1, 40_000), (job.status, len(job.attempts), len(job.result)))
        # And a result over the limit fails the attempt for good, saying so.
        job = self.finished(self.client.submit('big', {'bytes': 70_000}))
        self.assertEqual('failed', job.status)
        self.assertIn("over the master's limit of 65536 bytes", job.error)


if __name__ == '__main__':
    unittest.main()
