"""A lean HTTP/1.1 load driver (asyncio streams, keep-alive) for the serving benchmark and tests.

A general-purpose client spends more CPU per request than a fast server; this one sends
pre-encoded JSON POSTs and reads just the status line, headers and body, so the measured
figures are the server's, not the client's.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

import orjson


def _request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length) if length else b""


async def drive(host: str, port: int | Sequence[int], path: str, bodies: Sequence[Any], *, headers: dict[str, str] | None = None,
                concurrency: int = 32, seconds: float | None = None, parse: bool = True,
                results: list | None = None, reconnect: bool = False) -> list[tuple[int, Any, float]]:
    """POST each body as JSON (cycling when ``seconds`` is set) over ``concurrency`` connections.

    Returns ``(status, parsed JSON or None, latency seconds)`` per request; a broken connection
    (a killed server) counts its request as status 0 and ends that connection's loop, or, with
    ``reconnect``, opens a new connection for the next request (another worker on the port
    answers it). Several ports: connection ``i`` uses port ``i`` modulo their number, and
    reconnects to the next port that accepts (a client-side balancer over several servers).
    Pass ``results`` to watch them arrive from another thread.
    """
    ports = [port] if isinstance(port, int) else list(port)
    encoded = [_request(host, ports[0], path, orjson.dumps(b), headers or {}) for b in bodies]
    results = [] if results is None else results
    state = {"next": 0}
    end = None if seconds is None else time.perf_counter() + seconds

    def take() -> bytes | None:
        i = state["next"]
        if end is None and i >= len(encoded):
            return None
        if end is not None and time.perf_counter() >= end:
            return None
        state["next"] = i + 1
        return encoded[i % len(encoded)]

    async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Send requests on one connection until the bodies run out (True) or it breaks (False)."""
        while (request := take()) is not None:
            started = time.perf_counter()
            try:
                writer.write(request)
                status, body = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                results.append((0, None, time.perf_counter() - started))
                return False
            results.append((status, orjson.loads(body) if parse and body else None, time.perf_counter() - started))
        return True

    async def connect(first: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for i in range(len(ports)):
            with contextlib.suppress(OSError):
                return await asyncio.open_connection(host, ports[(first + i) % len(ports)])
        return None

    async def connection(number: int) -> None:
        while True:
            opened = await connect(number)
            if opened is None:
                results.append((0, None, 0.0))
                return
            reader, writer = opened
            try:
                if await exchange(reader, writer) or not reconnect:
                    return
            finally:
                writer.close()

    await asyncio.gather(*(connection(i) for i in range(concurrency)))
    return results
