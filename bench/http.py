"""A small HTTP load client for the scenarios that run against the app under gunicorn.

`Client` is one browser: a connection (kept open when the server allows it; gunicorn's sync workers
close it after every response), cookies, and the CSRF token of the last form it read. `run_load`
lets a list of virtual users (objects with a `step()` that makes one request) loop concurrently,
one thread each, for a number of seconds, and returns throughput and latency percentiles.
Threads are enough: a client spends its time waiting for the server, not in Python.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Protocol
from urllib.parse import urlencode, urlsplit

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class HttpError(AssertionError):
    """A response other than the one the scenario expects."""


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Client:
    """One user agent: cookies across requests, no redirects followed."""

    def __init__(self, base_url: str, *, timeout: float = 300.0, ignore_cookies: tuple[str, ...] = ()):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.ignore_cookies = set(ignore_cookies)
        self.csrf_token = ""
        self._conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, *, form: dict | None = None, expect: int | None = None) -> Response:
        body = urlencode(form) if form is not None else None
        headers = {"Accept-Language": "zh-hans"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        reused = self._conn is not None
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self._conn.request(method, path, body, headers)
            raw = self._conn.getresponse()
            data = raw.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.close()
            if not reused:
                raise
            return self.request(method, path, form=form, expect=expect)  # the server closed an idle connection
        if raw.will_close:
            self.close()
        for header in raw.headers.get_all("Set-Cookie") or []:
            self._store_cookie(header)
        response = Response(raw.status, raw.headers, data)
        if expect is not None and response.status != expect:
            raise HttpError(f"{method} {path}: {response.status}, expected {expect}: {response.text[:300]!r}")
        return response

    def get(self, path: str, *, expect: int | None = 200) -> Response:
        return self.request("GET", path, expect=expect)

    def post(self, path: str, form: dict, *, expect: int | None = 302) -> Response:
        return self.request("POST", path, form=form, expect=expect)

    def read_form(self, path: str) -> Response:
        """GET a page with a form and keep its CSRF token for the next posts."""
        response = self.get(path)
        match = CSRF_INPUT.search(response.text)
        if match is None:
            raise HttpError(f"GET {path}: no CSRF token in the page")
        self.csrf_token = match.group(1)
        return response

    def submit(self, path: str, form: dict, *, expect: int | None = 302) -> Response:
        return self.post(path, {"csrfmiddlewaretoken": self.csrf_token, **form}, expect=expect)

    def login(self, phone: str, password: str) -> None:
        """Log in afresh (a new session, as after the last one expired)."""
        self.cookies.clear()
        self.read_form("/login/")
        self.submit("/login/", {"username": phone, "password": password})
        if "sessionid" not in self.cookies:
            raise HttpError(f"login as {phone}: no session")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _store_cookie(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            if name in self.ignore_cookies:
                continue
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


class VirtualUser(Protocol):
    def step(self) -> object:
        """Make one request (raise HttpError when the answer is not the expected one)."""


@dataclass
class LoadResult:
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run_load(users: list[VirtualUser], seconds: float) -> LoadResult:
    """Let every user loop on `step()` at the same time for `seconds`; count what finished in time."""
    result = LoadResult(clients=len(users), seconds=seconds)
    lock = threading.Lock()
    window: dict[str, float] = {}

    def open_window() -> None:
        window["start"] = time.perf_counter()
        window["end"] = window["start"] + seconds

    barrier = threading.Barrier(len(users), action=open_window)

    def loop(user: VirtualUser) -> None:
        done, errors, first_error = [], 0, ""
        barrier.wait()
        end = window["end"]
        while (started := time.perf_counter()) < end:
            try:
                user.step()
            except Exception as exc:  # counted and reported: the harness refuses a run with errors
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"
                continue
            finished = time.perf_counter()
            if finished <= end:
                done.append(finished - started)
        with lock:
            result.latencies.extend(done)
            result.errors += errors
            result.first_error = result.first_error or first_error

    threads = [threading.Thread(target=loop, args=(user,), daemon=True) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result
