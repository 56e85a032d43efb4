"""A scriptable hostile registry: a threaded HTTP server answering ``route(method, path,
headers)``, able to hang, send chunked or slow bodies, and record every request."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hang: bool = False  # never answer
    chunked: bool = False  # no Content-Length
    delay: float = 0.0  # seconds between 16 KiB pieces of the body (a slow server)
    cut_after: int | None = None  # send this many body bytes, then drop the connection


Route = Callable[[str, str, dict[str, str]], Reply]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-answer is what these tests provoke


class HostileRegistry:
    """Answers each request with ``route(method, path, headers)``; records every request."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.aborted = 0
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((self.command, self.path, headers))
                reply = outer.route(self.command, self.path, headers)
                if reply.hang:
                    outer._stop.wait(10)
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if reply.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    if self.command != "HEAD":
                        for i in range(0, len(reply.body), 4096):
                            part = reply.body[i : i + 4096]
                            self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if self.command != "HEAD" and reply.cut_after is not None:
                        self.wfile.write(reply.body[: reply.cut_after])
                        self.wfile.flush()
                        self.close_connection = True
                    elif self.command != "HEAD":
                        step = 16384 if reply.delay else max(1, len(reply.body))
                        try:
                            for i in range(0, len(reply.body), step):
                                self.wfile.write(reply.body[i : i + step])
                                self.wfile.flush()
                                if reply.delay and outer._stop.wait(reply.delay):
                                    break
                        except OSError:
                            outer.aborted += 1  # the client hung up
                            self.close_connection = True

            do_GET = do_HEAD = do_POST = do_PUT = _handle

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def hostile(route: Route) -> Iterator[HostileRegistry]:
    server = HostileRegistry(route)
    try:
        yield server
    finally:
        server.close()
