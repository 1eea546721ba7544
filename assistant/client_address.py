"""Who is on the other end: the client's address, for limits and the audit log.

The connection's peer is the client, unless it is one of the reverse proxies
named in ASSISTANT_TRUSTED_PROXIES. Then X-Forwarded-For is read from the
right (each proxy appends the address it saw), trusted proxies are skipped,
and the first other address is the client. The left end is whatever the
client wrote and is never believed on its own, so nobody can pick their own
address by sending the header to an app that is not behind a proxy.

IPv6 clients usually hold a whole /64, so limits count an IPv6 address by
its /64 (``bucket``).

The login check is called by Gradio with only a name and a password;
``ClientAddress`` (ASGI middleware) puts each request's address in
``CURRENT`` so that check can read it.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

CURRENT: ContextVar[str] = ContextVar("client_address", default="")


def client_address(peer: str, forwarded: Iterable[str], trusted: Sequence[Network]) -> str:
    """The client's address, given the connection's ``peer`` and the
    X-Forwarded-For header values, oldest first."""
    address = _normal(peer) or peer or ""
    if not _trusted(address, trusted):
        return address
    hops = [hop.strip() for value in forwarded for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        found = _normal(hop)
        if found is None:  # garbage left of our proxies: the last good hop stands
            break
        address = found
        if not _trusted(found, trusted):
            break
    return address


def bucket(address: str) -> str:
    """What limits count: the address itself, or its /64 for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else address


def from_scope(scope: dict, trusted: Sequence[Network]) -> str:
    """The client of an ASGI request."""
    peer = (scope.get("client") or ("", 0))[0] or ""
    forwarded = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"x-forwarded-for"]
    return client_address(peer, forwarded, trusted)


def from_request(request: Any, trusted: Sequence[Network]) -> str:
    """The client of a Starlette or Gradio request (Gradio's may be a plain
    dict copy of the original); "" when there is none."""
    if request is None:
        return ""
    try:
        client, headers = request.client, request.headers
    except AttributeError:
        return ""
    peer = (client.get("host") if isinstance(client, dict) else getattr(client, "host", "")) or ""
    if hasattr(headers, "getlist"):
        forwarded = headers.getlist("x-forwarded-for")
    else:
        forwarded = [v for k, v in dict(headers or {}).items() if k.lower() == "x-forwarded-for"]
    return client_address(peer, forwarded, trusted)


class ClientAddress:
    """ASGI middleware: sets ``CURRENT`` for the duration of each request."""

    def __init__(self, app, trusted: Sequence[Network] = ()):
        self.app, self.trusted = app, tuple(trusted)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        token = CURRENT.set(from_scope(scope, self.trusted))
        try:
            return await self.app(scope, receive, send)
        finally:
            CURRENT.reset(token)


def _normal(text: str) -> str | None:
    """An address in its canonical form (port and brackets dropped, IPv4
    mapped into IPv6 shown as IPv4), or None if ``text`` is not one."""
    text = text.strip().strip('"')
    if text.startswith("["):  # [v6]:port
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in trusted)
