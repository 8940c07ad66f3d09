"""A streamed response that gives back what its body holds however the response ends.

Starlette sends a ``StreamingResponse`` by pulling its iterator; when the client leaves
mid-way it stops pulling and leaves the iterator where it is, and for a HEAD request it may
never pull at all. A generator's ``finally`` then waits for the garbage collector, or — never
started — never runs. Bodies that hold a pooled connection (a page of items read from a
server-side cursor) or a download slot lost them that way: about twenty anonymous HEAD requests
of large pages emptied the pool and every later read waited 10 s for a 503.

``ClosingStream`` closes its iterator and then calls ``on_close`` exactly once, after the
last piece was sent or the client left, in a worker thread (both may talk to the database).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send


class ClosingStream(StreamingResponse):
    """Stream ``chunks``; then close them and call ``on_close`` once, however it ends.

    ``on_close`` runs even when the body was never read (HEAD, a client gone before the first
    piece), so it — not a ``finally`` in the generator — is where held resources go back.
    """

    def __init__(self, chunks: Iterator[bytes], on_close: Callable[[], None] | None = None, *,
                 media_type: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(chunks, media_type=media_type, headers=headers)
        self._chunks, self._on_close = chunks, on_close
        self._closed = threading.Lock()

    def close(self) -> None:
        """Close the body and give back what it holds (idempotent; blocking)."""
        if not self._closed.acquire(blocking=False):
            return
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        finally:
            if self._on_close is not None:
                self._on_close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A cancelled send waits for the worker thread reading the next piece to finish
            # (anyio threads are not abandoned), so nothing else is in the generator now;
            # shielded, because a cancelled task's next await would be cancelled at once.
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self.close)
