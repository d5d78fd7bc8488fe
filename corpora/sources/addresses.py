"""Which network addresses a scan may connect to: public ones only.

A source URL, or a redirect from it, must never make Centinela reach into the network it
runs in: private ranges, loopback, link-local and the cloud metadata addresses are
refused. Loopback alone can be allowed (CENTINELA_ALLOW_LOOPBACK=1) for tests and local
mirrors; private and metadata addresses stay refused.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Instance metadata services (AWS/GCP/Azure/OpenStack, AWS ECS, AWS IPv6, Alibaba,
# Oracle): credentials live there, so they are named even where a range already covers them.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"))


class UnsafeAddressError(OSError):
    """A host resolves to an address a scan must not connect to."""


def address_refusal(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why a scan must not connect to `address` (an IP literal), or None if it may."""
    ip: IPAddress = ipaddress.ip_address(address.strip("[]"))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if ip.is_loopback:
        return None if allow_loopback else (
            f"{ip} is a loopback address (set CENTINELA_ALLOW_LOOPBACK=1 for a local mirror)")
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private:
        return f"{ip} is a private address"
    if not ip.is_global or ip.is_multicast:
        return f"{ip} is not a public address"
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IP literals resolve to themselves)."""
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def vet_host(host: str, port: int, *, allow_loopback: bool = False,
             resolve: Resolver = resolve_host) -> str:
    """The address to connect to for `host`, after checking every address it resolves to.

    Raises UnsafeAddressError if any of them is refused (a name that resolves to a public
    and a private address is refused whole), and OSError if it does not resolve.
    """
    addresses = resolve(host, port)
    if not addresses:
        raise OSError(f"{host} does not resolve")
    for address in addresses:
        if reason := address_refusal(address, allow_loopback=allow_loopback):
            raise UnsafeAddressError(f"{host} refused: {reason}")
    return addresses[0]
