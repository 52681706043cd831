"""The handler queue: the host's AnyioQueue when it can be imported, else a local stand-in with the
same methods (the host's own worker package can fail to import)."""

import collections

from .host import host_module


async def _sleep():
    import asyncio

    await asyncio.sleep(0.001)


class LocalQueue:
    """Stand-in for the host's AnyioQueue when it cannot be imported (same methods)."""

    def __init__(self, maxsize=1):
        self._maxsize = max(1, int(maxsize))
        self._items = collections.deque()
        self._unfinished = 0

    def qsize(self):
        return len(self._items)

    def empty(self):
        return not self._items

    def full(self):
        return len(self._items) >= self._maxsize

    def put_nowait(self, item):
        if self.full():
            import asyncio  # lazily: importing asyncio costs ~90 ms, construction must stay cheap

            raise asyncio.QueueFull()
        self._items.append(item)
        self._unfinished += 1

    async def put(self, item):
        while self.full():
            await _sleep()
        self.put_nowait(item)

    def get_nowait(self):
        if not self._items:
            import asyncio

            raise asyncio.QueueEmpty()
        return self._items.popleft()

    async def get(self):
        while not self._items:
            await _sleep()
        return self._items.popleft()

    def task_done(self):
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1


def make_queue(size, package=None):
    """A queue of at least one slot: the host's AnyioQueue (relative to the skillset's package,
    then by absolute name), else the local stand-in."""
    module = host_module("anyio_queue", "worker", package)
    queue_class = getattr(module, "AnyioQueue", None) or LocalQueue
    return queue_class(max(1, int(size)))
