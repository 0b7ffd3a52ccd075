"""Customer e-mail HTML is untrusted: it is cleaned with nh3 before it is stored, and shown
only inside a sandboxed iframe (no scripts, no same-origin access, no forms)."""

import nh3

# nh3's defaults already drop scripts, event handlers, styles and unknown tags; links are
# limited to web and mail addresses and open nothing with the page's privileges.
URL_SCHEMES = {"http", "https", "mailto"}


def _drop_remote_images(tag: str, attribute: str, value: str) -> str | None:
    """Remote images are how senders learn that an e-mail was opened (tracking pixels);
    only images embedded in the message itself are kept. `data:` is allowed for those
    images only, never for links."""
    if tag == "img" and attribute == "src" and not value.startswith("data:image/"):
        return None
    if attribute == "href" and value.strip().lower().startswith("data:"):
        return None
    return value


def sanitise_email_html(html: str) -> str:
    if not html.strip():
        return ""
    return nh3.clean(
        html,
        url_schemes=URL_SCHEMES | {"data"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_drop_remote_images,
    )
