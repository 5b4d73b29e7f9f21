"""The product under gunicorn on a free loopback port, as it runs in production."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tfc_training import PROJECT_ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")

#: How long the server may take to answer its first request before the test fails;
#: a guard against a hang, not a measurement.
START_WAIT = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GunicornServer:
    """Gunicorn serving ``wsgi:app`` with the given database, CSRF on.

    The settings come from the environment, as in production; only the things a
    test must control are set. Sign-up rate limits are switched off, since every
    request of a load test comes from the same address.
    """

    def __init__(self, database_uri, *, mail_folder, workers=2, threads=4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.threads = threads
        self.env = {
            **os.environ,
            "TFC_SQLALCHEMY_DATABASE_URI": database_uri,
            "TFC_SECRET_KEY": secrets.token_hex(32),
            "TFC_SITE_HOST": "tfc.test",
            "TFC_SITE_URL": self.url,
            "TFC_MAIL_FOLDER": str(mail_folder),
            "TFC_RATELIMIT_ENABLED": "false",
        }
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "--workers",
                str(self.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(self.threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=self.env,
        )
        try:
            self._wait_until_answering()
        except BaseException:
            # A server that never answered must not outlive the test that started it.
            self.stop()
            raise
        return self

    def _wait_until_answering(self):
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                requests.get(self.url + "/", timeout=30)
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
                continue
            if len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {START_WAIT} seconds")

    def worker_pids(self) -> list[int]:
        """The process ids of the workers (children of the master) right now."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
