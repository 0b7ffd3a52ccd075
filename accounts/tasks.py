"""Background work for accounts: tasks take ids, claim their row, and may run twice."""

from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation


@shared_task
def send_invitation(user_id: int) -> None:
    """E-mail a new user the link to choose a password, once per invitation.

    The claim (a conditional UPDATE of invitation_sent_at) makes a redelivered task a no-op;
    an admin can send the invitation again from the user's page.
    """
    from accounts.invitations import invitation_link
    from accounts.models import Organisation, User

    claimed = User.objects.filter(
        pk=user_id, is_active=True, invitation_sent_at__isnull=True
    ).update(invitation_sent_at=timezone.now())
    if not claimed:
        return
    user = User.objects.get(pk=user_id)
    if user.has_usable_password():
        return
    context = {"user": user, "organisation": Organisation.load(), "link": invitation_link(user)}
    with translation.override(user.language):
        subject = render_to_string("accounts/emails/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/emails/invitation_body.txt", context)
    EmailMultiAlternatives(subject=subject, body=body, to=[user.email]).send()


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired sessions (daily, from the beat schedule)."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
