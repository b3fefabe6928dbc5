"""Who is asking: the client address every limit and counter of the site uses.

``REMOTE_ADDR`` is the client, unless it is one of ``WENYUAN_TRUSTED_PROXIES``. Then
``X-Forwarded-For`` is read from the right: each trusted proxy appends the address it was
connected from, so the right-most address that is not a trusted proxy is the client, and
whatever the client wrote further left is ignored. ``X-Forwarded-For`` from anyone else is
never read (``ForwardedHeadersMiddleware`` even removes it, with X-Forwarded-Proto).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
)


def _parse(value: str) -> Address | None:
    value = (value or "").strip()
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # 203.0.113.7:5678
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value.split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address) -> bool:
    return any(address in network for network in settings.WENYUAN_TRUSTED_PROXIES)


def peer_is_trusted_proxy(request) -> bool:
    address = _parse(request.META.get("REMOTE_ADDR", ""))
    return address is not None and _trusted(address)


def client_ip(request) -> str:
    """The client's address as text ("" when the connection has none, a Unix socket)."""
    address = _parse(request.META.get("REMOTE_ADDR", ""))
    if address is None:
        return ""
    if _trusted(address):
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for hop in reversed(hops):
            forwarded = _parse(hop)
            if forwarded is None:  # not an address: nothing left of it can be trusted
                break
            address = forwarded
            if not _trusted(address):
                break
    return str(address)


def address_bucket(ip: str) -> str:
    """What limits count per address: the address, or its /64 for IPv6 (one subscriber
    holds a whole /64, so counting single IPv6 addresses would count nothing)."""
    address = _parse(ip)
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
