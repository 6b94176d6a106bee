"""Work whose memory must go back to the system once it is done: run in a child process that then ends.

CPython returns a pymalloc arena to the system only when every object in it is gone, and after a large scan
the objects that live on (the evidence index, modules imported on the way, caches) are spread over all of
them: the process stays near its peak although most of that memory is free (docs/performance.md). The PDF's
layout, which comes last and needs a lot of its own, would stack on top. So the command line runs the scan in a
forked child, which writes every output but the layout and hands back only what is left to do; the process the
user started, still at its start-up size, lays out the PDF and seals the pack.

What crosses: the child's progress (phases, steps and notices, in order, as they happen), then its result or
the exception it raised, type and attributes kept, so that the caller cannot tell the difference. An
interrupt of the parent is passed on to the child, which stops as a scan in one process stops; a child that
dies without a word (the system's out-of-memory killer) is a ``WorkerDied`` error naming the signal.

Only where the platform forks cheaply and safely (Linux); elsewhere ``run_apart`` runs the work in-process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from auditpack.errors import WorkerDied
from auditpack.progress import Progress

T = TypeVar("T")

CAN_FORK = sys.platform.startswith("linux")
STOP = signal.SIGTERM  # what the parent sends to stop the child; the child ignores the terminal's Ctrl-C


class _Relay:
    """The child's progress: each call goes to the parent, whole, in the order made (from any thread)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.lock = threading.Lock()

    def _send(self, *message: Any) -> None:
        with self.lock:
            self.conn.send(message)

    def phase(self, name: str) -> None:
        self._send("phase", name)

    def advance(self, done: int, total: int, what: str) -> None:
        self._send("advance", done, total, what)

    def notice(self, text: str) -> None:
        self._send("notice", text)


class RemoteTraceback(Exception):
    """Where an exception raised in the child came from: its traceback, as text (the ``__cause__``)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _stopped(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _unheeded(_signum: int, _frame: Any) -> None:
    """The terminal's Ctrl-C, in the child: the parent passes it on (``STOP``)."""


def _fresh_streams() -> None:
    """Another thread of the parent (the terminal's progress bar) may have held a standard stream's lock at the
    moment of the fork, and no thread of the child would ever release it: the child writes through streams
    of its own on the same descriptors, its log handlers included."""
    for name in ("stdout", "stderr"):
        old = getattr(sys, name)
        try:
            descriptor = old.fileno()
        except (AttributeError, OSError, ValueError):  # not a file (a test's capture): nothing to inherit
            continue
        new = open(descriptor, "w", buffering=1, encoding=old.encoding, errors=old.errors,  # noqa: SIM115
                   closefd=False)
        setattr(sys, name, new)
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
            for handler in getattr(logger, "handlers", []):
                if isinstance(handler, logging.StreamHandler) and handler.stream is old:
                    handler.stream = new  # not setStream: it would flush the old stream first


def _child(work: Callable[[Progress], T], conn: Any) -> None:
    """In the child: do the work, then send the result or the exception (and its traceback)."""
    _fresh_streams()
    # A Ctrl-C reaches both; the parent decides, once. Caught, not ignored: an ignored signal stays ignored in
    # the programs the child starts (Kingfisher), which the terminal's Ctrl-C must still stop.
    signal.signal(signal.SIGINT, _unheeded)
    signal.signal(STOP, _stopped)
    relay = _Relay(conn)
    try:
        message: tuple[Any, ...] = ("result", work(relay))
    except BaseException as exc:  # every ending is reported, an interrupt included
        message = ("raised", type(exc), exc.args, dict(vars(exc)), traceback.format_exc())
    try:
        relay._send(*message)
    except Exception as unsent:  # what does not pickle still says what it was
        what = (f"{message[1].__name__}: {message[2]}" if message[0] == "raised"
                else f"the result could not be handed back ({type(unsent).__name__}: {unsent})")
        relay._send("raised", RuntimeError, (what,), {}, message[-1] if message[0] == "raised" else "")


def _rebuilt(kind: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """The child's exception as it was raised: same type, arguments and attributes. Made without calling
    ``__init__``, whose parameters are rarely the arguments it passes on (``ProfileNotFound(profile)``)."""
    exc = kind.__new__(kind, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def run_apart(work: Callable[[Progress], T], progress: Progress) -> T:
    """``work(progress)``, in a child process whose memory is all returned when it ends; in this process
    where the platform cannot fork (``CAN_FORK``). ``work``'s result must pickle."""
    if not CAN_FORK:
        return work(progress)
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(work, send), name="auditpack-scan", daemon=True)
    child.start()
    send.close()  # the child's end: once the child is gone, a read here ends instead of waiting forever
    try:
        return _relayed(receive, progress, child)
    except KeyboardInterrupt:
        if child.is_alive() and child.pid is not None:
            os.kill(child.pid, STOP)
        with contextlib.suppress(BaseException):  # what it raised on stopping is this interrupt
            _relayed(receive, progress, child)  # its progress until it has stopped
        raise
    finally:
        child.join()
        receive.close()


def _relayed(receive: Any, progress: Progress, child: Any) -> Any:
    """Pass the child's progress on until it sends its result (returned) or its exception (raised here)."""
    while True:
        try:
            kind, *body = receive.recv()
        except EOFError:
            child.join()
            raise WorkerDied(child.exitcode) from None
        if kind == "result":
            return body[0]
        if kind == "raised":
            exc_type, args, state, trace = body
            raise _rebuilt(exc_type, args, state) from RemoteTraceback(trace)
        getattr(progress, kind)(*body)
