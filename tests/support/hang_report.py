"""A test that hangs fails by name (pytest-timeout, `timeout` in pyproject.toml) instead of holding CI
until its 90-minute limit; this plugin adds what was pending on the event loop at that moment.

pytest-timeout's stack dump shows only the main thread, and a hung asyncio test is always idle in
the selector there. The awaits that never finished are in the loop's tasks. They are taken when the
timeout's signal arrives (by the time the report is made, a hang in a fixture's teardown has had its
loop closed and its tasks cancelled): the interrupted frames pass through the loop's own methods, so
the loop is found there."""

from __future__ import annotations

import asyncio
import gc
import inspect
import signal
import traceback
from collections.abc import Iterator
from types import FrameType

import pytest

SECTION = "asyncio tasks pending at the timeout"
PENDING_AT_TIMEOUT = pytest.StashKey[str]()


def loop_of(frame: FrameType | None) -> asyncio.AbstractEventLoop | None:
    """The event loop whose method ``frame`` or a caller of it is running (the one the signal interrupted)."""
    while frame is not None:
        if isinstance(owner := frame.f_locals.get("self"), asyncio.AbstractEventLoop):
            return owner
        frame = frame.f_back
    return None


def pending_tasks(loop: asyncio.AbstractEventLoop) -> str:
    """Each pending task and the chain of awaits it is stuck in, outermost first."""
    lines = []
    for task in sorted(asyncio.all_tasks(loop), key=lambda task: task.get_name()):
        frames = [(frame, frame.f_lineno) for frame in awaited_frames(task.get_coro())]
        lines += [f"{task!r}\n", *traceback.StackSummary.extract(frames).format()]
    return "".join(lines)


def awaited_frames(awaitable: object) -> Iterator[FrameType]:
    """The frames of a coroutine and of what it awaits, down to the innermost (asyncio's own
    Task.get_stack shows only the outermost)."""
    while awaitable is not None:
        if (frame := getattr(awaitable, "cr_frame", None) or getattr(awaitable, "ag_frame", None)
                or getattr(awaitable, "gi_frame", None)) is not None:
            yield frame
        awaitable = awaited_by(awaitable)


def awaited_by(awaitable: object) -> object | None:
    for attribute in ("cr_await", "ag_await", "gi_yieldfrom"):
        if hasattr(awaitable, attribute):
            return getattr(awaitable, attribute)
    # An async generator's __anext__() awaitable (an async fixture's teardown) hides its generator;
    # the garbage collector's view of it does not.
    return next((ref for ref in gc.get_referents(awaitable) if inspect.isasyncgen(ref)), None)


@pytest.hookimpl(wrapper=True, optionalhook=True)
def pytest_timeout_set_timer(item: pytest.Item, settings):
    """After pytest-timeout has armed its signal, put a handler in front of its own that notes the tasks."""
    armed = yield
    timeout_handler = signal.getsignal(signal.SIGALRM)
    if settings.method == "signal" and callable(timeout_handler):
        def note_tasks_then_time_out(signum: int, frame: FrameType | None) -> None:
            if (loop := loop_of(frame)) is not None:
                item.stash[PENDING_AT_TIMEOUT] = pending_tasks(loop)
            timeout_handler(signum, frame)

        signal.signal(signal.SIGALRM, note_tasks_then_time_out)
    return armed


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if call.excinfo is not None and (tasks := item.stash.get(PENDING_AT_TIMEOUT, "")):
        report.sections.append((SECTION, tasks))
        del item.stash[PENDING_AT_TIMEOUT]
    return report
