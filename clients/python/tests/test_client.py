"""The Python client against a real master (spawned from the built CLI), with TypeScript workers
running the jobs."""
import threading
import unittest

import grpc

from helpers import ClusterTestCase, wait_for
from nucleus_client import Client, NucleusError


class ClientTest(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.master = self.procs.master(self.db())
        self.client = Client([self.master], timeout=15)
        self.addCleanup(self.client.close)

    def test_given_a_typescript_worker_when_the_python_client_submits_1000_jobs_then_each_completes_once_with_its_result(self):
        # Given a TypeScript worker running the built-in echo handler.
        self.procs.ts_worker('ts-echo', self.master, '--concurrency', '32')
        self.wait_for_workers(self.client, ['ts-echo'])

        # When 900 jobs go in one submit_many and 100 one by one from four threads.
        ids = self.client.submit_many([{'type': 'echo', 'payload': {'i': i}} for i in range(900)])
        self.assertEqual(900, len(set(ids)))
        single, lock = {}, threading.Lock()

        def submit_range(start):
            for i in range(start, 1000, 4):
                job_id = self.client.submit('echo', {'i': i})
                with lock:
                    single[i] = job_id

        threads = [threading.Thread(target=submit_range, args=(900 + k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expected = {job_id: i for i, job_id in enumerate(ids)}
        expected.update({job_id: i for i, job_id in single.items()})
        self.assertEqual(1000, len(expected))

        # Then all 1,000 complete, and listing every page finds each exactly once.
        wait_for(lambda: self.client.stats()['counts']['completed'] == 1000, '1,000 completed jobs', timeout=120, interval=0.5)
        listed = [job.id for job in self.client.list('completed', page_size=64)]
        self.assertEqual(1000, len(listed))
        self.assertEqual(set(expected), set(listed))
        # And each job's result is its payload echoed, run once, by the TypeScript worker.
        for job_id in list(expected)[::97]:
            job = self.client.result(job_id)
            self.assertEqual('completed', job.status)
            self.assertEqual({'i': expected[job_id]}, job.result)
            self.assertEqual([('ts-echo', 'completed')], [(a.worker_id, a.outcome) for a in job.attempts])
        stats = self.client.stats()
        self.assertEqual(1000, stats['submitted_total'])
        self.assertEqual(0, stats['counts']['queued'])

    def test_given_bad_input_then_invalid_argument_names_the_field_and_nothing_is_written(self):
        cases = [
            (lambda: self.client.submit('bad type!'), 'job.type'),
            (lambda: self.client.submit('echo', priority=11), 'job.priority'),
            (lambda: self.client.submit('echo', max_retries=101), 'job.max_retries'),
            (lambda: self.client.submit('echo', queue='no spaces'), 'job.queue'),
            (lambda: self.client.submit('echo', timeout=-1), 'job.timeout_ms'),
            (lambda: self.client.submit_many([{'type': 'echo'}, {'type': 'echo', 'priority': 99}]), 'jobs[1].priority'),
            (lambda: self.client.get('abc'), 'job_id'),
            (lambda: self.client.retry(status='queued'), 'status'),
            (lambda: list(self.client.list(page_size=5000)), 'limit'),
            # Caught before sending: what cannot go on the wire at all.
            (lambda: self.client.submit('echo', priority='high'), 'job.priority'),
            (lambda: self.client.submit('echo', {1, 2}), 'job.payload'),
            (lambda: list(self.client.list('unknown')), 'statuses'),
        ]
        for call, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(NucleusError) as caught:
                    call()
                self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, caught.exception.code)
                self.assertEqual('INVALID_ARGUMENT', caught.exception.code_name)
                self.assertIn(field, caught.exception.message)
        # Nothing was written: the batch with one bad job was refused whole.
        self.assertEqual(0, self.client.stats()['submitted_total'])
        self.assertEqual([], list(self.client.list()))

    def test_given_no_worker_when_asked_then_get_result_wait_cancel_retry_and_errors_behave(self):
        # Given a job nobody runs (no worker).
        job_id = self.client.submit('echo', {'x': 1}, queue='nobody', priority=2, max_retries=0, idempotency_key='k1')
        # A second submit with the same key is the same job.
        self.assertEqual(job_id, self.client.submit('echo', {'x': 2}, queue='nobody', idempotency_key='k1'))
        job = self.client.get(job_id)
        self.assertEqual(('queued', 'nobody', 2, 0, {'x': 1}), (job.status, job.queue, job.priority, job.max_retries, job.payload))
        self.assertIn('echo', job.waiting)  # the master says why it waits: no connected worker runs echo
        self.assertEqual(1024 * 1024, self.client.stats()['max_payload_bytes'])
        # result(wait=0.3) gives up after about that long and says it has not finished.
        self.assertFalse(self.client.result(job_id, wait=0.3).finished)
        # Cancel it, retry it: it is queued again, its history kept.
        self.assertEqual('cancelled', self.client.cancel(job_id).status)
        with self.assertRaises(NucleusError) as caught:
            self.client.cancel(job_id)
        self.assertEqual(grpc.StatusCode.FAILED_PRECONDITION, caught.exception.code)
        self.assertEqual([job_id], self.client.retry(job_id))
        self.assertEqual('queued', self.client.get(job_id).status)
        with self.assertRaises(NucleusError) as caught:
            self.client.get('987654')
        self.assertEqual(grpc.StatusCode.NOT_FOUND, caught.exception.code)
        # Delayed jobs are scheduled; bytes travel as they are.
        delayed = self.client.submit('echo', b'\x00\x01', delay=60, queue='nobody')
        job = self.client.get(delayed)
        self.assertEqual(('scheduled', b'\x00\x01', 'application/octet-stream'), (job.status, job.payload, job.content_type))
        self.assertEqual({job_id, delayed}, {j.id for j in self.client.list(['queued', 'scheduled'], queue='nobody', page_size=1)})

    def test_given_an_unreachable_master_then_the_error_is_one_clear_line_and_the_next_master_is_tried(self):
        with Client(['127.0.0.1:1'], timeout=5) as dead:
            with self.assertRaises(NucleusError) as caught:
                dead.get('1')
        self.assertEqual(grpc.StatusCode.UNAVAILABLE, caught.exception.code)
        self.assertIn('cannot reach the master at 127.0.0.1:1', str(caught.exception))
        # With a dead master first in the list, calls go to the live one.
        with Client(['127.0.0.1:1', self.master], timeout=5) as client:
            job_id = client.submit('echo', {'via': 'second'}, queue='nobody')
            self.assertEqual({'via': 'second'}, client.get(job_id).payload)


if __name__ == '__main__':
    unittest.main()
