from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """42 s, 5 min, 3 h, 2 d — how long ago or how long something waited."""
    if seconds is None:
        return "-"
    value = int(seconds)
    if value < 120:
        return _("%(n)s s") % {"n": value}
    if value < 7200:
        return _("%(n)s min") % {"n": value // 60}
    if value < 172800:
        return _("%(n)s h") % {"n": value // 3600}
    return _("%(n)s d") % {"n": value // 86400}
