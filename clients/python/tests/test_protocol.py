"""The worker's side of WorkerService.Connect, message by message, against a hand-driven master
(a gRPC server in this process that records what the worker sends and sends what the test says):
for orderings a real master cannot be made to produce on cue."""
import queue
import threading
import unittest
from concurrent import futures

import grpc

from handlers import HANDLERS
from nucleus_client import Worker
from nucleus_client._generated.nucleus.v1 import worker_pb2 as pb


class HandMaster:
    def __init__(self):
        self.inbox: 'queue.Queue' = queue.Queue()
        self.outbox: 'queue.Queue' = queue.Queue()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handler = grpc.stream_stream_rpc_method_handler(
            self._connect, request_deserializer=pb.WorkerMessage.FromString, response_serializer=pb.MasterMessage.SerializeToString)
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler('nucleus.v1.WorkerService', {'Connect': handler}),))
        self.address = f'127.0.0.1:{self.server.add_insecure_port("127.0.0.1:0")}'
        self.server.start()

    def _connect(self, requests, context):
        ended = threading.Event()  # the worker half-closed: end this side too, as the master does

        def read():
            for message in requests:
                self.inbox.put(message)
            ended.set()

        threading.Thread(target=read, daemon=True).start()
        while not ended.is_set():
            try:
                message = self.outbox.get(timeout=0.05)
            except queue.Empty:
                continue
            if message is None:
                return
            yield message

    def send(self, **fields):
        self.outbox.put(pb.MasterMessage(**fields))

    def expect(self, kind, timeout=15.0, skip=('heartbeat',)):
        """The next message of `kind`, skipping heartbeats; fails on any other kind."""
        while True:
            message = self.inbox.get(timeout=timeout)
            got = message.WhichOneof('msg')
            if got in skip and got != kind:
                continue
            if got != kind:
                raise AssertionError(f'expected {kind}, got {message}')
            return getattr(message, kind)

    def close(self):
        self.outbox.put(None)
        self.server.stop(0)


def assignment(job_id, duration):
    return pb.Assignment(job_id=job_id, attempt=1, type='sleep', payload=f'{{"duration": {duration}}}'.encode(),
                         content_type='application/json', queue='default', timeout_ms=60_000)


class ProtocolTest(unittest.TestCase):
    def setUp(self):
        self.master = HandMaster()
        self.addCleanup(self.master.close)
        self.worker = Worker([self.master.address], id='py-hand', concurrency=2, handlers=HANDLERS, grace=0.3)
        self.worker.start()
        self.addCleanup(lambda: self.worker.state == 'stopped' or self.worker.stop(0))
        self.hello = self.master.expect('hello')
        self.master.send(welcome=pb.Welcome(heartbeat_interval_ms=200, heartbeat_timeout_ms=2000, max_result_bytes=1 << 20))
        self.assertTrue(self.worker.wait_connected(10))

    def test_given_hello_then_it_names_the_worker_its_types_and_a_session_secret(self):
        self.assertEqual(('py-hand', 2, ['default']), (self.hello.worker_id, self.hello.concurrency, list(self.hello.queues)))
        self.assertEqual(sorted(HANDLERS), sorted(self.hello.job_types))
        self.assertGreaterEqual(len(self.hello.session_secret), 16)
        # And heartbeats follow at the interval the Welcome gave.
        self.master.expect('heartbeat', timeout=2)

    def test_given_a_draining_worker_when_an_assignment_arrives_then_it_is_given_back_unstarted_and_the_running_one_after_the_grace(self):
        # Given a job running on the worker.
        self.master.send(assignments=pb.Assignments(assignments=[assignment('1', 30)]))
        running = self.master.expect('heartbeat')
        while not running.running:
            running = self.master.expect('heartbeat')
        self.assertEqual('1', running.running[0].job_id)
        # When it starts draining, and an assignment sent before the master read its Drain arrives.
        stopper = threading.Thread(target=self.worker.stop)
        stopper.start()
        self.master.expect('drain')
        self.master.send(assignments=pb.Assignments(assignments=[assignment('2', 30)]))
        # Then that one comes back at once, unstarted; the running one after the grace.
        self.assertEqual([('2', 1)], [(l.job_id, l.attempt) for l in self.master.expect('goodbye').returned])
        self.assertEqual([('1', 1)], [(l.job_id, l.attempt) for l in self.master.expect('goodbye').returned])
        stopper.join(15)
        self.assertEqual('stopped', self.worker.state)

    def test_given_an_unacknowledged_result_when_the_stream_is_lost_then_hello_holds_it_and_it_is_sent_again(self):
        # Given a finished job whose result the master does not acknowledge.
        self.master.send(assignments=pb.Assignments(assignments=[assignment('7', 0.05)]))
        first = self.master.expect('results').results[0]
        self.assertEqual(('7', pb.OUTCOME_COMPLETED), (first.job_id, first.outcome))
        # When the master ends the stream, the worker reconnects holding that lease.
        self.master.outbox.put(None)
        hello = self.master.expect('hello')
        self.assertEqual([('7', 1)], [(l.job_id, l.attempt) for l in hello.held])
        self.assertEqual(self.hello.session_secret, hello.session_secret)
        # And after the Welcome it sends the same result again; an ack settles it.
        self.master.send(welcome=pb.Welcome(heartbeat_interval_ms=200, heartbeat_timeout_ms=2000, reattached=[pb.Lease(job_id='7', attempt=1)]))
        again = self.master.expect('results').results[0]
        self.assertEqual(first, again)
        self.master.send(acks=pb.ResultAcks(acks=[pb.ResultAck(job_id='7', attempt=1, accepted=True)]))
        stopper = threading.Thread(target=self.worker.stop)
        stopper.start()
        stopper.join(15)
        self.assertEqual('stopped', self.worker.state)


if __name__ == '__main__':
    unittest.main()
