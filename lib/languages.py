"""Languages offered for choosing, each named in its own language ("English, Deutsch,
Svenska" whatever the page's language): a reader looks for the one they speak."""

from django.conf import settings
from django.utils.translation import get_language_info


def local_language_choices() -> list[tuple[str, str]]:
    return [
        (code, str(get_language_info(code)["name_local"]).capitalize())
        for code, _name in settings.LANGUAGES
    ]
