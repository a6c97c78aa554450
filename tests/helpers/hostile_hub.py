"""A hub that lies, on loopback: each request is answered by a function of the test's (status,
headers, body, how slowly), and every request it got is recorded with its headers, so a test can
see where a token went."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"null"
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/json"})
    trickle: float = 0.0  # seconds between bytes of the body
    length: int | None = None  # a Content-Length to claim (default: the body's)


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None


class HostileHub:
    def __init__(self, respond: Callable[[str, str], Answer]):
        self.respond, self.seen = respond, []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                hub.seen.append(Seen(self.command, self.path, self.headers.get("Authorization")))
                answer = hub.respond(self.command, self.path)
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(answer.length if answer.length is not None
                                                       else len(answer.body)))
                self.end_headers()
                try:
                    if answer.trickle:
                        for byte in answer.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(answer.trickle)
                    else:
                        self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = do_PUT = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@contextlib.contextmanager
def hostile_hub(respond: Callable[[str, str], Answer]):
    hub = HostileHub(respond)
    thread = threading.Thread(target=hub.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        hub.server.shutdown()
        hub.server.server_close()
