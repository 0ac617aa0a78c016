"""Python workers under faults, as real processes: SIGKILL mid-job, SIGSTOP past the heartbeat
timeout, and a master killed and restarted under a worker that holds a job."""
import signal
import time
import unittest

from helpers import ClusterTestCase, wait_for
from nucleus_client import Client

HEARTBEAT_TIMEOUT = 2.0


class FaultTest(ClusterTestCase):
    def start(self, *args):
        self.master = self.procs.master(self.db(), '--heartbeat-interval', '300ms', '--heartbeat-timeout', f'{int(HEARTBEAT_TIMEOUT * 1000)}ms', *args)
        self.client = Client([self.master], timeout=15)
        self.addCleanup(self.client.close)

    def running_on(self, job_id, worker_id):
        job = wait_for(lambda: (lambda j: j if j.status == 'running' else None)(self.client.get(job_id)), f'job {job_id} to run')
        self.assertEqual(worker_id, job.worker_id)

    def completed(self, job_id, timeout):
        return wait_for(lambda: (lambda j: j if j.status == 'completed' else None)(self.client.get(job_id)), f'job {job_id} to complete', timeout)

    def test_given_a_python_worker_sigkilled_mid_job_then_the_job_completes_on_another_worker(self):
        # Given a Python worker running a 3 s job.
        self.start()
        doomed = self.procs.py_worker('py-doomed', self.master, '--concurrency', '1')
        self.wait_for_workers(self.client, ['py-doomed'])
        job_id = self.client.submit('sleep', {'duration': 3}, max_retries=3)
        self.running_on(job_id, 'py-doomed')
        # And a second Python worker, started only now so that it could not have taken the job.
        survivor = self.procs.py_worker('py-survivor', self.master, '--concurrency', '1')
        self.wait_for_workers(self.client, ['py-survivor'])

        # When the holder is killed without a chance to say goodbye.
        killed_at = time.monotonic()
        doomed.signal(signal.SIGKILL)
        self.assertEqual(-signal.SIGKILL, doomed.wait(10))

        # Then the survivor completes it, within heartbeat timeout + the job + a margin.
        job = self.completed(job_id, HEARTBEAT_TIMEOUT + 3 + 15)
        self.assertLess(time.monotonic() - killed_at, HEARTBEAT_TIMEOUT + 3 + 15)
        self.assertEqual([('py-doomed', 'lost'), ('py-survivor', 'completed')], [(a.worker_id, a.outcome) for a in job.attempts])
        self.assertEqual(1, job.failures)
        self.assertEqual(3, job.result['slept'])
        self.assertIsNone(survivor.proc.poll())

    def test_given_a_python_worker_frozen_past_the_heartbeat_timeout_when_woken_then_its_late_result_is_refused(self):
        # Given a Python worker running a 1.5 s job.
        self.start()
        frozen = self.procs.py_worker('py-frozen', self.master, '--concurrency', '1')
        self.wait_for_workers(self.client, ['py-frozen'])
        job_id = self.client.submit('sleep', {'duration': 1.5}, max_retries=3)
        self.running_on(job_id, 'py-frozen')

        # When it is frozen (SIGSTOP) and a TypeScript worker takes the job after the timeout.
        frozen.signal(signal.SIGSTOP)
        self.procs.ts_worker('ts-other', self.master, '--concurrency', '1')
        job = self.completed(job_id, HEARTBEAT_TIMEOUT + 1.5 + 20)
        self.assertEqual([('py-frozen', 'lost'), ('ts-other', 'completed')], [(a.worker_id, a.outcome) for a in job.attempts])

        # And then woken: its handler ends and it reports the attempt the master took away.
        frozen.signal(signal.SIGCONT)
        frozen.wait_for_line(rf'refused by the master: job {job_id} attempt 1\b', timeout=20)

        # Then the late result changed nothing, and the worker is back, connected again.
        self.wait_for_workers(self.client, ['py-frozen'])
        after = self.client.get(job_id)
        self.assertEqual(('completed', job.attempts, job.result_bytes, 'ts-other'), (after.status, after.attempts, after.result_bytes, after.worker_id))
        self.assertEqual({'slept': 1.5}, after.result)
        self.assertIsNone(frozen.proc.poll())
        # And it still works: a new job runs on it.
        quick = self.client.submit('square', {'n': 4}, queue='default')
        self.assertEqual(16, self.completed(quick, 20).result['square'])

    def test_given_a_master_killed_under_a_running_job_when_it_restarts_then_the_worker_reconnects_and_reattaches_its_lease(self):
        # Given a Python worker running a 4 s job (heartbeat timeout 10 s: time to come back).
        self.master = self.procs.master(self.db(), '--heartbeat-interval', '300ms', '--heartbeat-timeout', '10s')
        port = self.master.rsplit(':', 1)[1]
        self.client = Client([self.master], timeout=15)
        self.addCleanup(self.client.close)
        worker = self.procs.py_worker('py-1', self.master, '--concurrency', '1')
        self.wait_for_workers(self.client, ['py-1'])
        job_id = self.client.submit('sleep', {'duration': 4})
        self.running_on(job_id, 'py-1')

        # When the master is SIGKILLed and restarted on the same store and port.
        master_proc = self.procs.spawned[0]
        master_proc.signal(signal.SIGKILL)
        master_proc.wait(10)
        worker.wait_for_line(r'lost the master', timeout=15)
        self.procs.master(self.db(), '--heartbeat-interval', '300ms', '--heartbeat-timeout', '10s', port=int(port))

        # Then the worker reconnects with its lease re-attached, and its result is the job's.
        worker.wait_for_line(r'connected to the master at [^\n]* \(1 leases re-attached\)', timeout=30)
        job = self.completed(job_id, 30)
        self.assertEqual([('py-1', 'completed')], [(a.worker_id, a.outcome) for a in job.attempts])
        self.assertEqual('python', job.result['by'])


if __name__ == '__main__':
    unittest.main()
