"""The loopback server: the paper venue on 127.0.0.1 as a Binance-spot REST subset.

What it answers is :mod:`orderdesk.venues.loopback.api`; this module is the HTTP front.
Built on the standard library's ``http.server`` (a thread per connection, one lock around the
venue): the venue is synchronous and the server is a test and paper-trading fixture, so a
framework would add a dependency and nothing a Binance client can observe.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from orderdesk.venues.loopback.api import BinanceApi, DropConnection
from orderdesk.venues.loopback.binance import ApiError
from orderdesk.venues.loopback.config import LoopbackConfig
from orderdesk.venues.loopback.state import LoopbackState

__all__ = ["LoopbackServer", "ccxt_urls", "serve"]

log = logging.getLogger("orderdesk.venues.loopback")


def ccxt_urls(base_url: str) -> dict[str, str]:
    """Return the ``urls['api']`` a ccxt ``binance`` client needs to talk to ``base_url``."""
    return {
        "public": f"{base_url}/api/v3",
        "private": f"{base_url}/api/v3",
        "v1": f"{base_url}/api/v1",
        "sapi": f"{base_url}/sapi/v1",
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        # The request line carries the query (signature, timestamp): log the path only.
        log.debug("%s %s", self.command, urlsplit(self.path).path)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("ascii", errors="replace") if length else ""
        try:
            status, answer = self.server.api.dispatch(
                self.command, split.path, split.query, body, self.headers
            )
        except DropConnection:
            self.close_connection = True
            return
        except ApiError as error:
            headers = {} if error.retry_after is None else {"Retry-After": str(error.retry_after)}
            self._send(error.http, error.body(), headers)
            return
        except (ArithmeticError, ValueError, KeyError):
            log.exception("bad request %s %s", self.command, split.path)  # no query: no keys
            self._send(400, {"code": -1100, "msg": "Illegal characters found in a parameter."}, {})
            return
        self._send(status, answer, {})

    def _send(self, status: int, answer: object, headers: dict[str, str]) -> None:
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    api: BinanceApi

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)


class LoopbackServer:
    """A running loopback server; a context manager that stops it on exit."""

    def __init__(self, state: LoopbackState, server: _Server) -> None:
        self.state = state
        server.api = BinanceApi(state)
        self._server = server
        self._thread: threading.Thread | None = None

    @property
    def api(self) -> BinanceApi:
        """The endpoints the server answers with."""
        return self._server.api

    @property
    def url(self) -> str:
        """The server's base URL (``http://127.0.0.1:PORT``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LoopbackServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self._server.serve_forever()

    def close(self) -> None:
        """Stop serving and close the state file."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self.state.close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(
    config: LoopbackConfig, db_path: str | Path, *, host: str = "127.0.0.1", port: int = 0
) -> LoopbackServer:
    """Build the venue from ``config`` and ``db_path`` (replaying it) and bind the server.

    Call :meth:`LoopbackServer.start` (background thread) or
    :meth:`LoopbackServer.serve_forever`. Port 0 picks a free port. The port is bound
    first: one already in use raises ``OSError`` before the state file is touched.
    """
    server = _Server((host, port))
    try:
        return LoopbackServer(LoopbackState(config, db_path), server)
    except BaseException:
        server.server_close()
        raise
