"""Free text that may ask to stop campaign messages ("bitte keine SMS mehr", "please stop
texting me") but is not a keyword: the thread offers the agent a one-click "Mark as opted
out" next to it, and nothing happens on its own.

It lives in the inbox, not beside the keyword lists in campaigns: the thread (inbox) must ask
it, and inbox may not import campaigns (DESIGN.md §3). It is a pure function of the text —
no inbox's settings, no database — so it needs no registry; campaigns.keywords re-exports it
for its own readers. Deliberately generous: a false hint costs an agent a glance, a missed
one a customer who keeps getting messages they refused.
"""

import re

FREE_TEXT_OPT_OUT = re.compile(
    r"\b(stop|stopp|unsubscribe|abmelden|abbestellen|keine\s+(sms|nachrichten|werbung|e-?mails?)"
    r"\s*mehr|no\s+more\s+(texts|messages|sms|emails?)|avsluta|avregistrera|inga\s+fler)\b",
    re.IGNORECASE,
)


def sounds_like_opt_out(text: str) -> bool:
    """Free text that may ask to stop ("bitte keine SMS mehr") but is not a keyword."""
    return bool(FREE_TEXT_OPT_OUT.search(text or ""))
