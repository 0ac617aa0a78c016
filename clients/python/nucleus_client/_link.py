"""One WorkerService.Connect stream as the worker writes it: an outbound queue that grpcio reads
from its own thread, with results queued together sent as one message."""
import queue
from typing import Any

from ._generated.nucleus.v1 import worker_pb2

#: Bytes per message at most (less when the master's limit is lower): well under the master's
#: default limit, so that several large results finishing together do not travel as one message
#: it would refuse.
MESSAGE_BYTES = 256 * 1024
#: What the message around the items costs at most (oneof tag, lengths).
ENVELOPE_BYTES = 64
#: What one item in a repeated field costs besides its own size (tag and length).
ITEM_OVERHEAD_BYTES = 8


def in_parts(items: list, budget: int) -> list:
    """`items` (messages) in runs whose encoded size fits `budget`; one item per run at least."""
    parts, part, size = [], [], 0
    for item in items:
        n = item.ByteSize() + ITEM_OVERHEAD_BYTES
        if part and size + n > budget:
            parts.append(part)
            part, size = [], 0
        part.append(item)
        size += n
    if part:
        parts.append(part)
    return parts


class Link:
    """One Connect stream: an outbound queue that grpcio reads from its own thread."""

    _CLOSE = object()

    def __init__(self) -> None:
        self.queue: 'queue.Queue' = queue.Queue()
        self.welcomed = False
        self.budget = MESSAGE_BYTES
        self.call: Any = None

    def send(self, message: worker_pb2.WorkerMessage) -> None:
        self.queue.put(message)

    def close(self) -> None:
        self.queue.put(self._CLOSE)

    def requests(self):
        """The outbound messages; results queued together travel as one message (up to
        the budget), so a busy worker sends few, large messages."""
        pending = None
        while True:
            item = pending if pending is not None else self.queue.get()
            pending = None
            if item is self._CLOSE:
                return
            if item.HasField('results'):
                size = item.ByteSize()
                while size < self.budget:
                    try:
                        more = self.queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is self._CLOSE or not more.HasField('results') or size + more.ByteSize() > self.budget:
                        pending = more
                        break
                    item.results.results.extend(more.results.results)
                    size += more.ByteSize()
            yield item
