"""The web container's health check, as docker-compose.yml runs it:

    python -m lib.healthcheck            # exit 0 when /healthz answers 200

It asks gunicorn on 127.0.0.1:$PORT (8000) for /healthz with the first host of
ALLOWED_HOSTS in the Host header — Django refuses any other host (400 DisallowedHost), so a
check that sent "127.0.0.1" under ALLOWED_HOSTS=support.example.com would keep a healthy
container unhealthy — and with X-Forwarded-Proto: https, as the proxy in front sends it. No
Django import: the check takes a few milliseconds.
"""

import http.client
import os
import sys


def health_host(allowed_hosts: str) -> str:
    """The first usable host of an ALLOWED_HOSTS value ("*" and ".example.com" patterns are
    turned into a name Django accepts)."""
    for raw in allowed_hosts.split(","):
        host = raw.strip()
        if not host:
            continue
        if host == "*":
            return "localhost"
        if host.startswith("."):
            return host[1:]
        return host
    return "localhost"


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    host = health_host(os.environ.get("ALLOWED_HOSTS", "localhost"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        body = response.read(500).decode("utf-8", "replace")
    except OSError as exc:
        sys.stderr.write(f"web did not answer on port {port}: {exc}\n")
        return 1
    finally:
        connection.close()
    if response.status != 200:
        sys.stderr.write(f"/healthz answered {response.status}: {body}\n")
        return 1
    sys.stdout.write(body + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
