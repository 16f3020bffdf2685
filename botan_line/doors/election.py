"""One process per machine runs the inbox workers: the one that holds the worker lock.

Kept apart from ``worker.py`` so that importing it costs nothing: the LINE and OpenAI SDKs are
imported only by the process that wins the election.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import sys
import threading
import time

from botan_line.settings import Settings

log = logging.getLogger(__name__)
_held: list = []  # the lock's file stays open (and locked) for the life of the process


def start_elected(settings: Settings, poll: float = 2.0) -> threading.Thread:
    """Run the inbox workers in exactly one process per machine: the one holding the worker lock.

    Every gunicorn worker calls this after the fork; the first to take the lock builds the full
    services (LINE and OpenAI SDKs) and starts the inbox worker (``doors/worker.py``). If it dies, the
    kernel drops the lock and another process takes over within ``poll`` seconds. Processes on other
    machines (PostgreSQL) hold their own lock and share the inbox through atomic claims.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock_path = settings.data_dir / "worker.lock"

    def elect() -> None:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the life of the process
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(poll)
        try:
            from botan_line.doors.worker import Worker
            from botan_line.wiring import build

            services = build(settings, with_line=True)
        except Exception:
            log.exception("inbox workers could not start")
            handle.close()
            return
        sys.setswitchinterval(0.001)  # hand the GIL back to the webhook thread quickly
        worker = Worker(services)
        worker.start()
        _held.append(handle)
        atexit.register(worker.stop)
        log.info("inbox worker running in process %d (%d Layer 2 slots, %d senders)", os.getpid(),
                 settings.layer2_slots, settings.send_threads)  # fmt: skip

    thread = threading.Thread(target=elect, name="botan-worker-election", daemon=True)
    thread.start()
    return thread
