"""The link in an invitation: the password-reset token of Django's default generator for the
user, under /accounts/invitation/. It works once — choosing a password changes the hash the
token is made from — and for PASSWORD_RESET_TIMEOUT (three days)."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User


def invitation_link(user: User) -> str:
    return settings.PUBLIC_BASE_URL + reverse(
        "accounts:invitation_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
