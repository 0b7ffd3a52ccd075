"""`{{ seconds|time_on_page }}`: how long a visitor stayed on a page ("45 s", "3 min 5 s")."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def time_on_page(seconds: int | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    if seconds < 3600:
        return _("%(minutes)d min %(seconds)d s") % {
            "minutes": seconds // 60,
            "seconds": seconds % 60,
        }
    return _("%(hours)d h %(minutes)d min") % {
        "hours": seconds // 3600,
        "minutes": seconds % 3600 // 60,
    }
