"""One WorkerService.Connect stream as the worker writes it: an outbound queue that grpcio reads
from its own thread, with results queued together sent as one message."""
import queue

from ._generated.nucleus.v1 import worker_pb2

#: Result bytes per Results message: well under the master's message limit, so that several
#: large results finishing together do not travel as one message it would refuse.
RESULTS_MESSAGE_BYTES = 256 * 1024


class Link:
    """One Connect stream: an outbound queue that grpcio reads from its own thread."""

    _CLOSE = object()

    def __init__(self) -> None:
        self.queue: 'queue.Queue' = queue.Queue()
        self.welcomed = False
        self.call: Any = None

    def send(self, message: worker_pb2.WorkerMessage) -> None:
        self.queue.put(message)

    def close(self) -> None:
        self.queue.put(self._CLOSE)

    def requests(self):
        """The outbound messages; results queued together travel as one message (up to
        RESULTS_MESSAGE_BYTES), so a busy worker sends few, large messages."""
        pending = None
        while True:
            item = pending if pending is not None else self.queue.get()
            pending = None
            if item is self._CLOSE:
                return
            if item.HasField('results'):
                size = item.ByteSize()
                while size < RESULTS_MESSAGE_BYTES:
                    try:
                        more = self.queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is self._CLOSE or not more.HasField('results') or size + more.ByteSize() > RESULTS_MESSAGE_BYTES:
                        pending = more
                        break
                    item.results.results.extend(more.results.results)
                    size += more.ByteSize()
            yield item
