"""The service's edge: the Host names it answers to, the body types it reads, how long a request
head may take.

* **Host.** A page in a browser can make ``evil.example`` resolve to 127.0.0.1 (DNS rebinding)
  and then call the service as its own origin; the request still names ``evil.example`` in its
  ``Host`` header, so a server that answers only the names it is served under refuses it (400).
  ``workbench serve`` answers, by default, the address it binds plus ``localhost``,
  ``127.0.0.1`` and ``::1``; bound to every interface (``0.0.0.0``, ``::``) it cannot know the
  names clients use (a Kubernetes probe calls the pod's IP), so it answers any Host there, and
  the bearer token is the guard. ``--allowed-hosts`` names them instead (``*``: any). A request
  without a ``Host`` header is refused too (HTTP/1.1 requires one).
* **Content type.** A cross-origin page may POST ``text/plain`` (or a body with no type) without
  a CORS preflight; ``application/json`` needs one, which this service never grants. So the JSON
  endpoints read only JSON bodies: any other (or a missing) ``Content-Type`` is a 415.
* **Header deadline.** uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but
  never one whose request head is still arriving, so a client sending half a request holds a
  connection forever. :func:`header_deadline_protocol` closes it (with a 408) when the head is
  not complete within ``header_timeout`` seconds of the connection or of the request's first byte.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable
from typing import Any

from workbench.exceptions import ServingError

__all__ = [
    "DEFAULT_HEADER_TIMEOUT",
    "JSON_ENDPOINTS",
    "AllowedHosts",
    "check_header_timeout",
    "default_allowed_hosts",
    "header_deadline_protocol",
    "is_json",
]

DEFAULT_HEADER_TIMEOUT = 10.0  # seconds (`workbench serve --header-timeout` help repeats it); a head is one packet
MAX_HEADER_TIMEOUT = 300.0
JSON_ENDPOINTS = frozenset({"/v1/predict", "/invocations", "/v1/feedback"})
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_WILDCARD_BINDS = ("0.0.0.0", "::", "")


def default_allowed_hosts(bind: str) -> tuple[str, ...]:
    """The Host names a server bound to ``bind`` answers to by default (``("*",)``: any).

    Examples
    --------
    >>> default_allowed_hosts("127.0.0.1")
    ('127.0.0.1', 'localhost', '::1')
    >>> default_allowed_hosts("0.0.0.0")
    ('*',)
    """
    name = _bare(bind)
    if name in _WILDCARD_BINDS:
        return ("*",)
    return tuple(dict.fromkeys([name, *LOOPBACK_NAMES]))


class AllowedHosts:
    """A set of Host names (``*`` in it: any); ports are ignored, names compared case-insensitively."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(_bare(name) for name in names if name.strip())
        if not self.names:
            raise ServingError("no allowed Host name was given",
                               hint="pass --allowed-hosts NAME[,NAME...] (or '*' to answer any Host)")
        bad = sorted(name for name in self.names if name != "*" and not _plausible(name))
        if bad:
            raise ServingError(f"{bad[0]!r} is not a host name or an IP address",
                               hint="pass names such as model.internal, 10.0.0.5 or ::1 to --allowed-hosts")
        self.any = "*" in self.names

    def allows(self, header: bytes | None) -> bool:
        """Whether a request whose ``Host`` header is ``header`` may be answered."""
        if self.any:
            return True
        if not header:
            return False
        return _bare(_without_port(header.decode("latin-1"))) in self.names

    def describe(self) -> str:
        return "any" if self.any else ", ".join(sorted(self.names))


def is_json(content_type: bytes | None) -> bool:
    """Whether a ``Content-Type`` header names JSON (``application/json`` or ``application/*+json``)."""
    if not content_type:
        return False
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


def _bare(name: str) -> str:
    """A host name or address without brackets, lowercase."""
    return name.strip().strip("[]").lower().rstrip(".")


def _without_port(host: str) -> str:
    host = host.strip()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _plausible(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        labels = name.split(".")
        return all(label and len(label) <= 63 and all(c.isalnum() or c == "-" for c in label) for label in labels)


def check_header_timeout(seconds: float) -> float:
    """``seconds`` when it is a usable header deadline, else a ServingError naming the flag."""
    if not 0 < seconds <= MAX_HEADER_TIMEOUT:
        raise ServingError(f"--header-timeout must be in (0, {MAX_HEADER_TIMEOUT:g}] seconds, not {seconds:g}",
                           hint=f"the default is {DEFAULT_HEADER_TIMEOUT:g}")
    return float(seconds)


def header_deadline_protocol(header_timeout: float = DEFAULT_HEADER_TIMEOUT) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools, or h11 when httptools is missing) with a header deadline.

    The deadline starts when the connection opens and, on a kept-alive connection, when the
    next request's first byte arrives; it ends when the request's head has been parsed (uvicorn
    then starts a new request cycle). Pass the class to ``uvicorn.Config(http=...)``.
    """
    check_header_timeout(header_timeout)
    base: Any
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base

    class HeaderDeadlineProtocol(base):
        def connection_made(self, transport: Any) -> None:
            self._head_timer: asyncio.TimerHandle | None = None
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and self._between_requests():
                self._arm()
            super().data_received(data)

        def on_response_complete(self) -> None:
            self._disarm()  # until the next request's first byte: idle time is timeout_keep_alive's
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            self._head_timer = self.loop.call_later(header_timeout, self._head_expired, self.cycle)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_expired(self, waiting: Any) -> None:
            self._head_timer = None
            if self.cycle is not waiting or not self._between_requests() or self.transport.is_closing():
                return  # a head arrived since: its request is the app's now
            self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            self.transport.close()

    return HeaderDeadlineProtocol
