"""Identifier kinds and their normalisation: the one place that decides what "the same
address" means. Phone numbers become E.164 (phonenumbers, DEFAULT_PHONE_REGION for numbers
written without a country code); e-mail addresses are trimmed and lower-cased."""

import functools

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_IDENTITY_LENGTH = 320


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    WEB_VISITOR = "web_visitor", _("Web visitor")
    EXTERNAL_ID = "external_id", _("External ID")


PHONE_KINDS = frozenset({IdentityKind.PHONE, IdentityKind.WHATSAPP})

# A message on a channel may come from any identity that shares its address space: an SMS from
# +49… matches the contact who has that number as a phone or as a WhatsApp identity.
CHANNEL_KINDS: dict[str, tuple[str, ...]] = {
    "sms": (IdentityKind.PHONE, IdentityKind.WHATSAPP),
    "phone": (IdentityKind.PHONE, IdentityKind.WHATSAPP),
    "whatsapp": (IdentityKind.WHATSAPP, IdentityKind.PHONE),
    "email": (IdentityKind.EMAIL,),
    # The web chat: an anonymous visitor's own identity, or a signed-in one's external id.
    "web": (IdentityKind.WEB_VISITOR, IdentityKind.EXTERNAL_ID),
}


def normalise(kind: str, value: str) -> str:
    """Return the canonical form of `value` for `kind`, or raise ValidationError saying why."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Enter an address."), code="required")
    if len(value) > MAX_IDENTITY_LENGTH:
        raise ValidationError(_("This address is too long."), code="max_length")
    if kind in PHONE_KINDS:
        return normalise_phone(value)
    if kind == IdentityKind.EMAIL:
        return normalise_email(value)
    if kind not in IdentityKind.values:
        raise ValidationError(_("Unknown kind of identifier."), code="invalid_kind")
    return value


def normalise_phone(value: str) -> str:
    value = value.strip()
    if value.lower().startswith("whatsapp:"):
        value = value[len("whatsapp:") :]
    if value.startswith("00"):
        value = "+" + value[2:]
    try:
        number = phonenumbers.parse(value, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": value}
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number. Include the country code, e.g. +49."),
            code="invalid_phone",
            params={"value": value},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid e-mail address."),
            code="invalid_email",
            params={"value": value},
        ) from exc
    return value.lower()


@functools.lru_cache(maxsize=4096)
def format_phone(normalised: str) -> str:
    """E.164 shown the way people read it: +49 170 1234567. Remembered: a page of the
    conversation list formats the same few numbers again and again."""
    try:
        number = phonenumbers.parse(normalised, None)
    except phonenumbers.NumberParseException:
        return normalised
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def looks_like_email(query: str) -> bool:
    return "@" in query and " " not in query.strip()


def looks_like_phone(query: str) -> bool:
    digits = sum(ch.isdigit() for ch in query)
    return digits >= 6 and all(ch.isdigit() or ch in "+-()/. " for ch in query.strip())
