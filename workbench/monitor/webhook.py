"""The alert webhook: one JSON POST to an http(s) URL, within one deadline for the whole call.

A socket timeout bounds each read, not the call: a server answering one byte every two seconds
held ``workbench monitor`` for minutes with a 5 s timeout. Here one deadline covers name
resolution, connecting, the TLS handshake, sending and reading the answer's status line and
headers; when it passes, a watchdog shuts the socket down, which ends whatever read is blocked.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, urlsplit

from workbench.config import http_url_problem
from workbench.reports.base import jsonable

__all__ = ["MAX_TIMEOUT", "send_webhook"]

MAX_TIMEOUT = 300.0  # seconds: a monitor run that waits longer for one webhook is stuck, not patient


class _Late(Exception):
    """The deadline passed."""


class _Deadline:
    """A point in time, and a watchdog that shuts the watched socket down when it passes."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.expired = False
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def left(self) -> float:
        """Seconds left (raises :class:`_Late` when none are)."""
        remaining = self.end - time.monotonic()
        if remaining <= 0 or self.expired:
            raise _Late
        return remaining

    def watch(self, sock: socket.socket | None) -> None:
        """Shut ``sock`` down at the deadline (None: stop watching, before the socket closes)."""
        with self._lock:
            self._fd = sock.fileno() if sock is not None else None
            if sock is not None and self.expired:
                raise _Late

    def cancel(self) -> None:
        self.watch(None)
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:  # watch(None) runs before every close, so the fd is still this socket's
            self.expired = True
            if self._fd is None:
                return
            try:
                view = socket.socket(fileno=self._fd)
            except OSError:
                return
            try:
                view.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # not connected yet: connect() is bounded by its own timeout
            finally:
                view.detach()


def send_webhook(url: str, payload: Mapping[str, Any], *, timeout: float = 5.0) -> str:
    """POST ``payload`` as JSON to ``url``; ``"ok"`` or ``"failed: <why>"`` (never raises).

    ``timeout`` (seconds, at most :data:`MAX_TIMEOUT`) is a deadline for the whole call, not for
    each read. Only http(s) URLs are called. Any 2xx answer is ``"ok"``; redirects are not
    followed.

    Examples
    --------
    >>> send_webhook("http://127.0.0.1:9/hook", {"alert": {}}, timeout=1)  # doctest: +SKIP
    'failed: connection refused'
    """
    problem = http_url_problem(url)
    if problem:
        return f"failed: the webhook URL is not an http(s) URL: {problem}"
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not math.isfinite(timeout) \
            or not 0 < timeout <= MAX_TIMEOUT:
        return f"failed: the webhook timeout must be a number of seconds in (0, {MAX_TIMEOUT:g}], not {timeout!r}"
    try:
        body = json.dumps(jsonable(dict(payload)), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as err:
        return f"failed: the alert is not JSON: {err}"
    deadline = _Deadline(float(timeout))
    try:
        status = _post(urlsplit(url), body, deadline)
    except _Late:
        return f"failed: no answer within the {timeout:g} s deadline"
    except (OSError, http.client.HTTPException, ValueError) as err:
        # every socket timeout is set to the time left, so a timeout is the deadline too
        if deadline.expired or isinstance(err, TimeoutError):
            return f"failed: no answer within the {timeout:g} s deadline"
        return f"failed: {_reason(err)}"
    finally:
        deadline.cancel()
    return "ok" if 200 <= status < 300 else f"failed: HTTP {status}"


def _post(parts: SplitResult, body: bytes, deadline: _Deadline) -> int:
    """The status code of POSTing ``body`` to ``parts``."""
    host = parts.hostname or ""
    secure = parts.scheme.lower() == "https"
    port = parts.port or (443 if secure else 80)
    sock = _connect(host, port, deadline)
    try:
        if secure:  # the handshake runs here, not inside wrap_socket, so a failure leaves the socket to us
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
            sock.settimeout(deadline.left())
            sock.do_handshake()  # same fd as before wrapping: still watched
        connection = http.client.HTTPConnection(host, port)
        connection.sock = sock  # connected above, so http.client sends on it instead of connecting again
        sock.settimeout(deadline.left())
        connection.request("POST", _target(parts), body=body, headers={
            "Content-Type": "application/json", "User-Agent": "mlops-workbench", "Connection": "close"})
        return connection.getresponse().status
    finally:
        deadline.watch(None)
        sock.close()


def _connect(host: str, port: int, deadline: _Deadline) -> socket.socket:
    """A socket connected to ``host:port``, trying each address in turn, all within the deadline."""
    failure: OSError = OSError(f"cannot connect to {host}:{port}")
    for family, kind, proto, _, address in _resolve(host, port, deadline):
        sock = socket.socket(family, kind, proto)
        try:
            deadline.watch(sock)
            sock.settimeout(deadline.left())
            sock.connect(address)
            return sock
        except OSError as err:
            failure = err
            deadline.watch(None)
            sock.close()
        except _Late:
            deadline.watch(None)
            sock.close()
            raise
    raise failure


def _resolve(host: str, port: int, deadline: _Deadline) -> list[Any]:
    """``getaddrinfo`` within the deadline (it cannot be interrupted, so it runs in a daemon thread)."""
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            found["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as err:
            found["error"] = err

    thread = threading.Thread(target=lookup, name="workbench-webhook-dns", daemon=True)
    thread.start()
    thread.join(deadline.left())
    if thread.is_alive():
        raise _Late
    if "error" in found:
        raise found["error"]
    return list(found["addresses"])


def _target(parts: SplitResult) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _reason(err: BaseException) -> str:
    """A short reason: ``connection refused``, ``certificate verify failed`` ..."""
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({err.verify_message})"
    if isinstance(err, socket.gaierror):
        return f"cannot resolve the host ({err.strerror})"
    text = str(err) or type(err).__name__
    return text if isinstance(err, OSError) else f"{type(err).__name__}: {text}"
