"""What the journey keeps of a page view, and what it never keeps.

Query strings are dropped except the `utm_*` parameters (campaign attribution), and so are
user names and passwords in a URL. A fragment is dropped too, unless it is a hash route of a
single-page app (`#/orders/42`, `#!/orders`): that is the page, not a position on it; its own
query string is stripped the same way. The client's address is cut to its network at ingest
(IPv4 /24, IPv6 /48) and the user agent to its browser family: nothing that fingerprints one
visitor is stored.
"""

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_URL = 2000
MAX_TITLE = 300
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")


def _kept_query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k.startswith("utm_")]
    return urlencode(pairs)


def _kept_fragment(fragment: str) -> str:
    if not fragment.startswith(("/", "!/")):
        return ""
    path, _sep, query = fragment.partition("?")
    kept = _kept_query(query)
    return f"{path}?{kept}" if kept else path


def clean_url(url: str, *, keep_query: bool = True) -> str:
    """`url` as the journey stores it, or "" when it is not an http(s) URL.

    keep_query=False drops the whole query string (a referrer from another site)."""
    try:
        parts = urlsplit(str(url or "").strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is not None:
        host = f"{host}:{port}"
    query = _kept_query(parts.query) if keep_query else ""
    fragment = _kept_fragment(parts.fragment) if keep_query else ""
    cleaned = urlunsplit((parts.scheme, host, parts.path or "/", query, fragment))
    return cleaned[:MAX_URL]


def origin_of(url: str) -> str:
    """scheme://host[:port] of a cleaned URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def utm_of(url: str) -> dict[str, str]:
    """The utm_source, utm_medium and utm_campaign of a cleaned URL ("" where absent)."""
    parts = urlsplit(url)
    query = parts.query or _kept_fragment(parts.fragment).partition("?")[2]
    values = dict(parse_qsl(query))
    return {key: values.get(key, "")[:200] for key in UTM_KEYS}


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "")[:200]
    except ValueError:
        return ""


def clean_title(title: object) -> str:
    return " ".join(str(title or "").split())[:MAX_TITLE]


def truncate_ip(address: str) -> str | None:
    """The network of `address`: IPv4 to /24, IPv6 to /48 (IPv4-mapped IPv6 as IPv4);
    None for anything that is not an address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except (ValueError, AttributeError):
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
_FAMILIES = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOpera\b")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"(Chrome|Chromium|CriOS)/")),
    ("Safari", re.compile(r"\bSafari/")),
)


def browser_family(user_agent: str) -> str:
    """The browser's family ("Firefox", "Chrome", …, "Other"), with " mobile" on phones."""
    family = next((name for name, pattern in _FAMILIES if pattern.search(user_agent)), "Other")
    mobile = "Mobi" in user_agent or "Android" in user_agent or "iPhone" in user_agent
    return f"{family} mobile" if mobile else family
