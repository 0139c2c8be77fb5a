"""Only public addresses, and only the address that was checked.

A page's or a webhook's address is resolved once, every address it resolves to must be public, and the
request then connects to that checked address (the URL carries the IP; the `Host` header and the TLS
server name carry the name, so certificates are still checked against the name). A name that resolves
to another address between the check and the connection (DNS rebinding) is never followed."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""host, port -> the addresses it resolves to (tests give their own)."""

NON_PUBLIC_V6 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("2002::/16"))  # NAT64, 6to4
DEFAULT_PORTS = {"http": 80, "https": 443}


class AddressRefused(ValueError):
    """An address Kitting does not call; the message says why, in words a person understands."""


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.version == 6 and any(address in net for net in NON_PUBLIC_V6):
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_global and (mapped is None or mapped.is_global)


@dataclass(frozen=True)
class PinnedTarget:
    """Where a request goes: the URL as given, and the checked address it connects to."""

    url: str
    scheme: str
    host: str
    port: int | None
    address: str

    @property
    def request_url(self) -> str:
        """The URL with the checked address in place of the name."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        netloc = literal if self.port is None else f"{literal}:{self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))

    @property
    def headers(self) -> dict[str, str]:
        return {"Host": self.host if self.port is None else f"{self.host}:{self.port}"}

    @property
    def extensions(self) -> dict[str, Any]:
        """The TLS server name (and so the certificate's name) is the host's, not the address's."""
        return {"sni_hostname": self.host} if self.scheme == "https" else {}


async def pin(
    url: str,
    *,
    schemes: tuple[str, ...] = ("http", "https"),
    allow_private: bool = False,
    resolve: Resolver = system_resolve,
) -> PinnedTarget:
    """The target of `url`, resolved once and checked; raises AddressRefused."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise AddressRefused(f"not a valid address: {url!r} ({exc})") from None
    if parts.scheme not in schemes or not host:
        raise AddressRefused(f"not an {' or '.join(schemes)} address: {url!r}")
    if parts.username or parts.password:
        raise AddressRefused("an address with a user name or password in it is not called")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressRefused(f"not a valid host name: {host!r}") from None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = await resolve(host, port or DEFAULT_PORTS[parts.scheme])
        except (OSError, UnicodeError):
            raise AddressRefused(f"cannot resolve {host}: no site of that name was found") from None
    if not addresses:
        raise AddressRefused(f"cannot resolve {host}: no address")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if not allow_private and not is_public(address):
            raise AddressRefused(f"{host} resolves to a non-public address ({address})")
    pinned = addresses[0].split("%", 1)[0]
    return PinnedTarget(url=url, scheme=parts.scheme, host=host, port=port, address=pinned)
