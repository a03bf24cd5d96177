"""How far a long build has got: builders `tick()`, a background job listens (or nobody)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_listener: ContextVar[Callable[[int], None] | None] = ContextVar("progress", default=None)


def tick(count: int = 1) -> None:
    """`count` more units done (rows read, rows written...): tells the listener, if any. Costs a
    context-variable read when nobody listens (a request's build)."""
    listener = _listener.get()
    if listener is not None:
        listener(count)


@contextmanager
def listening(listener: Callable[[int], None]) -> Iterator[None]:
    """Every `tick()` made inside, in this thread, calls `listener(count)`."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)
