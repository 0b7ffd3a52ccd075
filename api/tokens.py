"""Making, reading and checking token strings: `sb_live_<prefix>_<secret>`.

Only the SHA-256 of the secret is stored; a presented token is found by its prefix and its
secret compared in constant time, so neither the database nor the timing of an answer gives
the secret away.
"""

import hashlib
import hmac
import ipaddress
import secrets
import string
from dataclasses import dataclass

PREFIX = "sb_live_"
PREFIX_LENGTH = 12
SECRET_LENGTH = 40
_ALPHABET = string.ascii_letters + string.digits
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class TokenParts:
    prefix: str
    secret: str


def new_token() -> tuple[str, TokenParts]:
    """A fresh token string and its parts (the secret has about 238 random bits)."""
    parts = TokenParts(
        prefix=secrets.token_hex(PREFIX_LENGTH // 2),
        secret="".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH)),
    )
    return f"{PREFIX}{parts.prefix}_{parts.secret}", parts


def parse(token: str) -> TokenParts | None:
    """The parts of a well-formed token string, None for anything else."""
    if not token.startswith(PREFIX):
        return None
    prefix, _sep, secret = token[len(PREFIX) :].partition("_")
    if len(prefix) != PREFIX_LENGTH or not set(prefix) <= _HEX:
        return None
    if len(secret) != SECRET_LENGTH or not all(ch in _ALPHABET for ch in secret):
        return None
    return TokenParts(prefix=prefix, secret=secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def truncate_ip(address: str) -> str:
    """The client's network, not its address: 203.0.113.0/24, 2001:db8:1::/48."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    length = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{length}", strict=False))
