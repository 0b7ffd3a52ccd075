"""One HTTP POST to an endpoint, through the SSRF guard, with urllib3.

The connection goes to the address webhooks.ssrf checked (never a second DNS lookup),
while the Host header and, for https, the TLS server name and certificate check use the
URL's host name. Redirects are not followed (a 3xx is the answer), nothing is retried here
(webhooks.delivery schedules retries), and at most SNIPPET_BYTES of the answer are read.
"""

import re
import time
from dataclasses import dataclass

import urllib3
from django.conf import settings

from webhooks import ssrf

SNIPPET_BYTES = 2048
SNIPPET_CHARS = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, timed out, connection failed)
    duration_ms: int
    snippet: str = ""
    error: str = ""


def snippet_of(raw: bytes) -> str:
    """The first characters of an answer as text that is safe to store and show: invalid
    UTF-8 replaced, control characters dropped (the page escapes it as well)."""
    return _CONTROL.sub("", raw.decode("utf-8", errors="replace"))[:SNIPPET_CHARS]


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = ssrf.check(url)
    except ssrf.Refused as refused:
        return Answer(None, elapsed(), error=str(refused))
    parts = target.url
    default_port = 443 if parts.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host and target.port == default_port:
        host_header = f"[{target.host}]"
    elif ":" in target.host:
        host_header = f"[{target.host}]:{target.port}"
    timeout = float(settings.WEBHOOKS_TIMEOUT)
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.ip,
            target.port,
            maxsize=1,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.ip, target.port, maxsize=1, retries=False)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            assert_same_host=False,
            timeout=urllib3.Timeout(connect=min(timeout, 10.0), read=timeout),
            preload_content=False,
        )
        try:
            raw = response.read(SNIPPET_BYTES, decode_content=False)
        finally:
            response.release_conn()
            response.close()
        return Answer(response.status, elapsed(), snippet_of(raw or b""))
    except urllib3.exceptions.TimeoutError:
        return Answer(None, elapsed(), error=f"No answer within {timeout:g} s")
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        return Answer(None, elapsed(), error=f"{type(exc).__name__}: {reason}"[:300])
    except OSError as exc:
        return Answer(None, elapsed(), error=f"{type(exc).__name__}: {exc}"[:300])
    finally:
        pool.close()
