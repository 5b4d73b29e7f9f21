"""Delivering a request's messages from a thread of its worker, after the answer.

A request that queued messages commits them to the outbox with its change, and then
hands their ids to this process's sender instead of sending them itself, so that the
person is answered without waiting for the mail server (or for the ``.eml`` files
to be written). The sender is one thread per process, started when the first ids
are handed to it (so a worker forked by gunicorn starts its own). It takes whatever
has been handed to it since its last round and delivers it in one go with
:func:`~.delivery.deliver`, in an application context of its own, so that many
sign-ups arriving together share one claim and one record transaction.

Nothing is lost on the way: the messages are in the outbox before their ids are
handed over. If delivery fails, they stay there with the failure counted; if the
sender stops or the process dies before it reaches them, they stay there unclaimed
(or with a lease that runs out); either way ``mail flush`` sends them. When the
process exits normally, the sender is given :data:`EXIT_WAIT` seconds to finish
what it holds.
"""

import atexit
import logging
import os
import queue
import threading

from flask import Flask

from .delivery import deliver

logger = logging.getLogger(__name__)

#: The ``app.extensions`` key of the application's sender.
EXTENSION_KEY = "tfc_mail_sender"

#: Most message ids delivered in one round; the rest wait for the next round.
ROUND_SIZE = 200

#: Seconds a normal exit of the process waits for the sender to finish.
EXIT_WAIT = 10


class BackgroundSender:
    """One thread per process that delivers the message ids handed to it."""

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._pid = None
        self._queue = None
        self._thread = None
        self._stopped = False
        self._exit_registered = False

    def hand(self, ids: list[int]) -> bool:
        """Give the sender committed messages to deliver; ``False`` when it has been
        stopped, and the caller must deliver them itself."""
        with self._lock:
            if self._stopped:
                return False
            self._start_if_needed()
            self._queue.put(list(ids))
        return True

    def join(self) -> None:
        """Wait until everything handed so far has been delivered, or has failed."""
        with self._lock:
            pending = self._queue if self._pid == os.getpid() else None
        if pending is not None:
            pending.join()

    def stop(self, timeout: float | None = None) -> None:
        """Take nothing more, and let the thread finish what it holds.

        Waits at most ``timeout`` seconds (``None``: until it is done). Whatever it
        has not reached by then stays in the outbox for ``mail flush``.
        """
        with self._lock:
            self._stopped = True
            running = self._thread if self._pid == os.getpid() else None
            if running is not None:
                self._queue.put(None)
        if running is not None:
            running.join(timeout)

    def _start_if_needed(self) -> None:
        # A process forked from one that had a sender inherits its queue but not its
        # thread: it needs both of its own.
        if self._pid == os.getpid() and self._thread.is_alive():
            return
        self._pid = os.getpid()
        self._queue = queue.Queue()
        self._thread = threading.Thread(
            target=self._run, args=(self._queue,), name="mail-sender", daemon=True
        )
        self._thread.start()
        if not self._exit_registered:
            self._exit_registered = True
            atexit.register(self.stop, EXIT_WAIT)

    def _run(self, handed: queue.Queue) -> None:
        """Deliver what was handed, a round at a time, until told to stop (``None``).

        A round takes everything waiting when it starts, so that the messages of
        requests answered meanwhile go out together.
        """
        while True:
            first = handed.get()
            taken = 1
            if first is None:
                handed.task_done()
                return
            ids = set(first)
            stopping = False
            while len(ids) < ROUND_SIZE:
                try:
                    more = handed.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                if more is None:
                    stopping = True
                    break
                ids.update(more)
            try:
                self._deliver(sorted(ids))
            finally:
                for _ in range(taken):
                    handed.task_done()
            if stopping:
                return

    def _deliver(self, ids: list[int]) -> None:
        """Deliver one round; whatever goes wrong stays in the outbox."""
        try:
            with self.app.app_context():
                report = deliver(ids)
        except Exception as error:  # noqa: BLE001 (whatever fails stays queued)
            # Only the kind of error is logged: database errors quote the values of
            # their statement, which may be addresses or message text.
            logger.warning(
                "background delivery of %s messages stopped (%s); mail flush will"
                " retry",
                len(ids),
                type(error).__name__,
            )
            return
        if report.failed:
            logger.warning(
                "background delivery: %s sent, %s failed; mail flush will retry",
                report.sent,
                report.failed,
            )


def init_app(app: Flask) -> None:
    """Give ``app`` its sender; the thread starts with the first ids handed to it,
    and is stopped (waiting :data:`EXIT_WAIT` seconds) when the process exits."""
    app.extensions[EXTENSION_KEY] = BackgroundSender(app)


def sender_for(app: Flask) -> BackgroundSender | None:
    """The sender of ``app``, if it has one."""
    return app.extensions.get(EXTENSION_KEY)
