"""Only the newest request counts: while a control keeps moving, stale updates are dropped
rather than computed and drawn one after another."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class LatestOnly:
    """Run ``compute`` for the newest request only, and draw only results still current.

    While a computation runs, further requests only replace the pending one (a control that
    keeps moving queues nothing); when the computation ends, its result is dropped if a newer
    request is waiting, and the newest request runs next.

    Parameters
    ----------
    compute : callable
        ``compute(request) -> result``, run in a worker thread.
    draw : callable
        ``draw(result)``, called on the event loop with current results only.
    fail : callable
        ``fail(exception)`` for an exception of ``compute`` (e.g. a ScenarioError).
    """

    def __init__(self, compute: Callable[[Any], Any], draw: Callable[[Any], None],
                 fail: Callable[[Exception], None]) -> None:
        self.compute, self.draw, self.fail = compute, draw, fail
        self._pending: Any = None
        self._has_pending = False
        self._running = False
        self.computed = 0
        self.dropped = 0

    @property
    def busy(self) -> bool:
        """Whether a computation is running or waiting to run."""
        return self._running

    def submit(self, request: Any) -> Awaitable[None] | None:
        """Ask for ``request``; returns the coroutine to await if no computation is running
        (the caller schedules it), else None (the running loop picks the request up)."""
        self._pending, self._has_pending = request, True
        if self._running:
            return None
        self._running = True
        return self._run()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._has_pending:
                request, self._has_pending = self._pending, False
                try:
                    result = await loop.run_in_executor(None, self.compute, request)
                except Exception as exc:  # shown to the user, last good results kept
                    self.computed += 1
                    if not self._has_pending:
                        self.fail(exc)
                    continue
                self.computed += 1
                if self._has_pending:
                    self.dropped += 1  # stale: a newer request is waiting
                    continue
                self.draw(result)
        finally:
            self._running = False
