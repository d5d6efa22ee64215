"""A real HTTP webhook receiver on 127.0.0.1 for the webhook tests: records every
request (headers, body, arrival order) and answers as told, request by request: a
status, after a delay (past the deliverer's timeout, say), or held until the test
releases it. Several requests are served at once (a thread each), so a held request
holds only itself; how many were in progress at once is recorded."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

HOLD_AT_MOST = 60.0  # a held request is answered after this long even if not released


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0  # seconds before answering
    hold: threading.Event | None = None  # answered once this is set
    before: Callable[[], None] | None = None  # run when the request arrives
    headers: tuple[tuple[str, str], ...] = ()  # sent with the answer (Retry-After, say)
    body: bytes | None = None  # instead of the default text (an RFC 8935 error, say)


@dataclass(frozen=True)
class Received:
    number: int  # arrival order, from 0
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> Any:
        """The body, if the Standard Webhooks reference library accepts the signature
        with `secret` (it raises WebhookVerificationError otherwise)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    plan: list[Answer] = field(default_factory=list)  # the next requests' answers, in order
    default: Answer = field(default_factory=Answer)  # once the plan is used up
    # Or the answer chosen by what arrived (with every request so far): before the plan.
    choose: Callable[[Received, list[Received]], Answer | None] | None = None
    received: list[Received] = field(default_factory=list)
    most_at_once: int = 0
    _open: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/roster"

    def ids(self) -> list[str]:
        with self._lock:
            return [r.id for r in self.received]

    def counts(self) -> Counter[str]:
        return Counter(self.ids())

    def _arrived(self, handler: BaseHTTPRequestHandler, body: bytes) -> Answer:
        with self._lock:
            headers = {k.lower(): v for k, v in handler.headers.items()}
            request = Received(len(self.received), handler.path, headers, body)
            self.received.append(request)
            self._open += 1
            self.most_at_once = max(self.most_at_once, self._open)
            chosen = self.choose(request, list(self.received)) if self.choose else None
            if chosen is not None:
                return chosen
            return self.plan.pop(0) if self.plan else self.default

    def _answered(self) -> None:
        with self._lock:
            self._open -= 1

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                answer = receiver._arrived(self, body)
                try:
                    if answer.before is not None:
                        answer.before()
                    if answer.hold is not None:
                        answer.hold.wait(HOLD_AT_MOST)
                    if answer.delay:
                        time.sleep(answer.delay)
                    text = b'{"ok": true}' if answer.status < 300 else b"receiver says no"
                    if answer.body is not None:
                        text = answer.body
                    self.send_response(answer.status)
                    self.send_header("content-length", str(len(text)))
                    for name, value in answer.headers:
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(text)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the deliverer gave up waiting (its timeout)
                finally:
                    receiver._answered()

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@contextmanager
def receiving(
    *plan: Answer,
    default: Answer | None = None,
    choose: Callable[[Received, list[Received]], Answer | None] | None = None,
) -> Iterator[Receiver]:
    receiver = Receiver(list(plan), default or Answer(), choose=choose)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


def eventually(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll `check` until it returns something true, failing after `timeout` seconds
    (a deadline for slow machines, not a measurement)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not in {timeout:g} s: {what or check}")
        time.sleep(0.05)
