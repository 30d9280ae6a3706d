"""Plumbing for local vendor sandboxes: armed faults and a background HTTP server.

A connector's sandbox speaks its vendor's wire protocol on a local port so tests (and the demo)
exercise the real client. What every such sandbox needs besides the protocol lives here::

    class AcmeSandbox(LocalServer):
        def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
            super().__init__(host=host, port=port)
            self.faults = Faults()

        def _handler_class(self) -> type[BaseHTTPRequestHandler]:
            sandbox = self

            class Handler(AcmeHandler):
                owner = sandbox

            return Handler

    with AcmeSandbox() as sandbox:
        sandbox.faults.add("/v1/report", status=429, times=2, retry_after=1)
        ...  # point the connector at sandbox.url

The handler asks ``faults.take(path, method)`` on each request and applies what it gets:
``latency`` (sleep first), ``status`` (answer with that error, ``body``/``message`` overriding
the vendor's default error body, ``retry_after`` as the ``Retry-After`` header) or ``truncate``
(send half the body and close the connection).

Nothing here imports pytest, so the sandboxes also run outside tests (``syncd demo``).
"""

from __future__ import annotations

import enum
import json
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Literal, Self

MatchRule = Literal["substring", "prefix", "exact"]
"""How an armed fault's path selects request paths."""

_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "substring": lambda armed, path: armed in path,
    "prefix": lambda armed, path: path.startswith(armed),
    "exact": lambda armed, path: armed == path,
}


class _Unset(enum.Enum):
    STATUS = enum.auto()


@dataclass
class Fault:
    """One armed fault: what the next ``times`` matching requests get.

    ``status`` None means no error answer (only ``latency`` and/or ``truncate``); ``method``
    None matches every method.
    """

    path: str
    status: int | None = None
    times: int = 1
    retry_after: float | None = None
    latency: float = 0.0
    truncate: bool = False
    body: Any = None
    message: str | None = None
    method: str | None = None


class Faults:
    """The faults armed on a sandbox, thread-safe, oldest first.

    ``match`` decides which request paths an armed path selects (``"substring"``: contained in
    the request path, so ``""`` selects all; ``"prefix"``; ``"exact"``). ``default_status`` is
    the status of a fault armed without one.
    """

    def __init__(
        self, *, match: MatchRule = "substring", default_status: int | None = None
    ) -> None:
        self.match: MatchRule = match
        self.default_status = default_status
        self._matches = _MATCHERS[match]
        self._lock = threading.Lock()
        self._armed: list[Fault] = []

    def add(
        self,
        path: str = "",
        *,
        status: int | _Unset | None = _Unset.STATUS,
        times: int = 1,
        retry_after: float | None = None,
        latency: float = 0.0,
        truncate: bool = False,
        body: Any = None,
        message: str | None = None,
        method: str | None = None,
    ) -> Fault:
        """Arm a fault for the next ``times`` requests to ``path`` (and ``method``, if given)."""
        fault = Fault(
            path,
            self.default_status if status is _Unset.STATUS else status,
            times,
            retry_after,
            latency,
            truncate,
            body,
            message,
            method,
        )
        with self._lock:
            self._armed.append(fault)
        return fault

    def take(self, path: str, method: str | None = None) -> Fault | None:
        """The oldest armed fault for a ``method`` request to ``path``, counted down; or None."""
        with self._lock:
            for fault in self._armed:
                if (
                    fault.times > 0
                    and self._matches(fault.path, path)
                    and fault.method in (None, method)
                ):
                    fault.times -= 1
                    if fault.times == 0:
                        self._armed.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed.clear()


class LocalServer(ABC):
    """A ``ThreadingHTTPServer`` on ``host:port`` served from a daemon thread.

    Subclasses provide the request handler (:meth:`_handler_class`) and may wrap the listening
    socket (:meth:`_wrap_socket`, e.g. in TLS, with ``scheme = "https"``). ``port`` 0 picks a
    free port; after :meth:`start` it holds the bound one and ``url`` the base URL.
    """

    scheme: ClassVar[str] = "http"
    thread_name: ClassVar[str | None] = None
    poll_interval: ClassVar[float] = 0.5
    """How often the serving thread checks for :meth:`stop` (bounds how long stopping takes)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.url = ""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @abstractmethod
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The handler class the server answers requests with (bound to this sandbox)."""

    def _wrap_socket(self, sock: socket.socket) -> socket.socket:
        """The socket to serve on, given the bound one (TLS wraps it); default: unchanged."""
        return sock

    def start(self) -> str:
        """Start serving in a background thread; returns the base URL. Idempotent."""
        if self._server is not None:
            return self.url
        server = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        server.daemon_threads = True
        try:
            server.socket = self._wrap_socket(server.socket)
        except BaseException:
            server.server_close()
            raise
        self._server = server
        self.port = server.server_address[1]
        self.url = f"{self.scheme}://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and release the port. Idempotent."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def serve_until_interrupted(self) -> None:
        """Serve in the foreground (starting if need be) until Ctrl-C, then stop."""
        self.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


__all__ = ["Fault", "Faults", "LocalServer", "MatchRule"]


class ReplyingHandler(BaseHTTPRequestHandler):
    """A request handler with the sandboxes' one way of answering: a body with its length and
    headers, or (``truncate``, a fault) half of it and a closed connection."""

    def _json(
        self,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        *,
        truncate: bool = False,
    ) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._send(status, text, "application/json", headers, truncate=truncate)

    def _send(
        self,
        status: int,
        text: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        truncate: bool = False,
    ) -> None:
        data = text.encode()
        self.send_response(status, HTTPStatus(status).phrase)
        if status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if truncate else data)
