"""The SSRF guard: an endpoint URL may only reach the public internet.

An admin types the URL, but whatever its host resolves to is where Switchboard's servers
connect, from inside the operator's network. So the host is resolved at send time — every
time — and the request refused when any address it resolves to is loopback, private,
link-local (cloud metadata at 169.254.169.254), multicast, reserved or unspecified, in
IPv4 or IPv6 (IPv4-mapped addresses included). The transport then connects to exactly the
address checked here, so a DNS answer that changes between the check and the connection
(rebinding) cannot redirect it. The same check runs when the URL is saved, for a clear
form error; the send-time check is the one that counts.

WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true allows loopback and private networks (development, the
tests' local receiver); unspecified and multicast addresses are refused even then.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The URL may not be called; the message says why, for the admin."""


@dataclass(frozen=True)
class Target:
    url: SplitResult
    host: str  # the host name as written (Host header and TLS server name)
    port: int
    ip: str  # the checked address the connection goes to


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (tests replace this to fake a DNS answer)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _forbidden(address: Address, *, allow_private: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return _forbidden(mapped, allow_private=allow_private)
    if address.is_unspecified or address.is_multicast:
        return True
    if allow_private:
        return False
    return not address.is_global or address.is_reserved or address.is_link_local


def parse(url: str) -> SplitResult:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Enter an http:// or https:// URL with a host name."))
    if parts.username or parts.password:
        raise Refused(_("The URL must not contain a user name or password."))
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise Refused(_("The URL's port is not valid.")) from exc
    return parts


def check(url: str) -> Target:
    """Resolve `url`'s host and return where to connect; Refused when it may not be called
    or cannot be resolved."""
    parts = parse(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise Refused(
                _("The host name %(host)s could not be resolved.") % {"host": host}
            ) from exc
    if not addresses:
        raise Refused(_("The host name %(host)s could not be resolved.") % {"host": host})
    for found in addresses:
        address = ipaddress.ip_address(found.split("%", 1)[0])
        if _forbidden(address, allow_private=allow_private):
            raise Refused(
                _(
                    "%(host)s leads to %(address)s, an address inside a private network; "
                    "webhooks can only be sent to public addresses."
                )
                % {"host": host, "address": address}
            )
    return Target(url=parts, host=host, port=port, ip=addresses[0])
