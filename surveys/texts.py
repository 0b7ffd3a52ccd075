"""What a survey says, in the customer's language: its question and follow-up (the manager's
text or the kind's default) and the invitation message around the link.

The customer's texts are fixed per language here rather than through gettext: they are
written in the contact's language, not the manager's, and a manager reads and overrides them
on the survey's form."""

from typing import Any

from django.conf import settings

LANGUAGES = ("en", "de", "sv")

DEFAULT_QUESTIONS = {
    "csat": {
        "en": "How satisfied are you with the help you got from {company}?",
        "de": "Wie zufrieden sind Sie mit der Hilfe von {company}?",
        "sv": "Hur nöjd är du med hjälpen du fick av {company}?",
    },
    "nps": {
        "en": "How likely are you to recommend {company} to a friend or colleague?",
        "de": "Wie wahrscheinlich ist es, dass Sie {company} weiterempfehlen?",
        "sv": "Hur troligt är det att du skulle rekommendera {company} till en vän?",
    },
    "ces": {
        "en": "How easy was it to get your issue solved?",
        "de": "Wie einfach war es, Ihr Anliegen zu lösen?",
        "sv": "Hur enkelt var det att få ditt ärende löst?",
    },
}
DEFAULT_FOLLOW_UPS = {
    "en": "What is the main reason for your answer?",
    "de": "Was ist der wichtigste Grund für Ihre Antwort?",
    "sv": "Vad är den främsta anledningen till ditt svar?",
}
# The ends of each scale, as the customer reads them.
SCALE_LABELS = {
    "csat": {
        "en": ("Very dissatisfied", "Very satisfied"),
        "de": ("Sehr unzufrieden", "Sehr zufrieden"),
        "sv": ("Mycket missnöjd", "Mycket nöjd"),
    },
    "nps": {
        "en": ("Not at all likely", "Extremely likely"),
        "de": ("Sehr unwahrscheinlich", "Sehr wahrscheinlich"),
        "sv": ("Inte alls troligt", "Mycket troligt"),
    },
    "ces": {
        "en": ("Very difficult", "Very easy"),
        "de": ("Sehr schwierig", "Sehr einfach"),
        "sv": ("Mycket svårt", "Mycket enkelt"),
    },
}
SMS_HINT = {
    "en": "Reply with a number from {low} to {high}, or answer here: {link}",
    "de": "Antworten Sie mit einer Zahl von {low} bis {high} oder hier: {link}",
    "sv": "Svara med en siffra från {low} till {high}, eller svara här: {link}",
}
EMAIL_HINT = {
    "en": "Choose your answer ({low} = {low_label}, {high} = {high_label}):",
    "de": "Wählen Sie Ihre Antwort ({low} = {low_label}, {high} = {high_label}):",
    "sv": "Välj ditt svar ({low} = {low_label}, {high} = {high_label}):",
}
EMAIL_MORE = {
    "en": "Or open the survey: {link}",
    "de": "Oder öffnen Sie die Umfrage: {link}",
    "sv": "Eller öppna enkäten: {link}",
}


def language_for(value: Any) -> str:
    """One of the survey languages: `value`'s first two letters, else the default."""
    code = (value or "")[:2].lower() if isinstance(value, str) else ""
    if code in LANGUAGES:
        return code
    default = settings.LANGUAGE_CODE[:2]
    return default if default in LANGUAGES else "en"


def question(survey: Any, language: str, *, company: str = "") -> str:
    given = ((survey.texts or {}).get(language) or {}).get("question", "").strip()
    text = given or DEFAULT_QUESTIONS[survey.kind][language]
    return text.replace("{company}", company or _us(language))


def follow_up(survey: Any, language: str) -> str:
    """The follow-up question ("" when the manager switched it off with a single dash)."""
    given = ((survey.texts or {}).get(language) or {}).get("follow_up", "").strip()
    if given == "-":
        return ""
    return given or DEFAULT_FOLLOW_UPS[language]


def scale_labels(survey: Any, language: str) -> tuple[str, str]:
    return SCALE_LABELS[survey.kind][language]


def invitation_body(survey: Any, *, channel: str, language: str, link: str, company: str) -> str:
    """The invitation message: the question, then how to answer — an SMS by a number or the
    link; an e-mail with one link per score (each only opens the pre-filled page)."""
    low, high = survey.scale
    text = question(survey, language, company=company)
    if channel != "email":
        return f"{text} {SMS_HINT[language].format(low=low, high=high, link=link)}"
    low_label, high_label = scale_labels(survey, language)
    lines = [
        text,
        "",
        EMAIL_HINT[language].format(low=low, high=high, low_label=low_label, high_label=high_label),
    ]
    lines += [f"{score}: {link}{score}/" for score in survey.scores]
    lines += ["", EMAIL_MORE[language].format(link=link)]
    return "\n".join(lines)


def _us(language: str) -> str:
    return {"en": "us", "de": "uns", "sv": "oss"}[language]
