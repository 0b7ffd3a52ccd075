"""Endpoint signing secrets: made here, shown once, stored encrypted.

A Standard Webhooks secret is `whsec_` + base64 of random bytes, and signing needs the
secret itself (an HMAC key), so it cannot be stored as a hash like a password. It is
encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from
SECRET_KEY with HKDF; SECRET_KEY_FALLBACKS still decrypt, so rotating SECRET_KEY the Django
way keeps the endpoints working (re-save or rotate them before dropping the fallback).
"""

import base64
import secrets
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _fernet_key(secret_key: str) -> bytes:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"switchboard webhook secrets"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(derived)


@cache
def _fernet(secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(key)) for key in (secret_key, *fallbacks)])


def _current() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def encrypt(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


class UnreadableSecret(Exception):
    """The stored secret was encrypted under a SECRET_KEY this deployment no longer has."""


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise UnreadableSecret from exc
