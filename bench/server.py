"""The app under gunicorn for the HTTP scenarios: `bench.wsgi` with `bench.settings` on a free local port.

The server shares the harness's environment, so it uses the same (bench) database. It runs gunicorn's
default sync workers, as the Dockerfile does; one worker per CPU unless told otherwise.

    with AppServer(workers=2) as server:
        http.Client(server.base_url).get("/bench/ceiling/read/")
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
WORKERS_ENV = "BENCH_WORKERS"
READY_PATH = "/bench/ceiling/read/"


def default_workers() -> int:
    return int(os.environ.get(WORKERS_ENV) or os.cpu_count() or 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """One gunicorn master and its workers, started with `start()` and stopped with `stop()`."""

    def __init__(self, *, workers: int | None = None, log_path: Path | None = None, timeout: int = 300):
        self.workers = workers or default_workers()
        self.log_path = log_path or BASE_DIR / "var" / "bench-server.log"
        self.timeout = timeout
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 60.0) -> AppServer:
        self.port = free_port()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        command = [
            sys.executable, "-m", "gunicorn", "bench.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            "--timeout", str(self.timeout), "--graceful-timeout", "10", "--log-level", "warning",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            # A session of its own: if the master will not stop, its whole group is ended (see stop()).
            self.process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log, start_new_session=True)
        self._wait_until_ready(wait)
        return self

    def _wait_until_ready(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", READY_PATH)
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {wait:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        """Ask the master to stop (SIGTERM: workers finish their request); end the group if it hangs."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
