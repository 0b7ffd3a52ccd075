"""Changes to users and the organisation. Each writes an AccountEvent in its transaction."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import AccountEvent, Organisation, Role, User
from accounts.tasks import send_invitation
from lib.errors import ActionRefused


@transaction.atomic
def invite_user(
    *,
    email: str,
    display_name: str,
    role: str,
    language: str,
    actor: User | None,
    send_email: bool = True,
) -> User:
    """Create a licensed user without a password and e-mail them a link to choose one.

    The invitation is sent by a task after commit; the e-mail address must be unused
    (the form checks it; the unique index makes a race fail loudly instead of duplicating).
    `actor` None is the operator at the command line (manage.py createadmin), who hands the
    link over themselves or sends the e-mail at once (`send_email=False`: no task).
    """
    user = User.objects.create_user(
        email, password=None, display_name=display_name, role=role, language=language
    )
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.USER_INVITED,
        actor=actor,
        user=user,
        data={"role": role},
    )
    if send_email:
        send_invitation.delay_on_commit(user.id)
    return user


@transaction.atomic
def resend_invitation(user: User, *, actor: User) -> None:
    """Send the invitation again to a user who has not chosen a password yet."""
    if user.has_accepted_invitation:
        raise ActionRefused(_("%(name)s has already accepted the invitation.") % {"name": user})
    if not user.is_active:
        raise ActionRefused(_("Restore the licence before sending the invitation again."))
    User.objects.filter(pk=user.pk).update(invitation_sent_at=None)
    AccountEvent.objects.create(kind=AccountEvent.Kind.INVITATION_RESENT, actor=actor, user=user)
    send_invitation.delay_on_commit(user.id)


@transaction.atomic
def update_user(
    user: User, *, display_name: str, role: str, language: str, time_zone: str, actor: User
) -> None:
    """Change a user's profile and role; refuses to leave the organisation without an admin."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role == Role.ADMIN and role != Role.ADMIN:
        _ensure_another_admin_remains(user)
    changes = {
        field: [getattr(user, field), value]
        for field, value in {
            "display_name": display_name,
            "role": role,
            "language": language,
            "time_zone": time_zone,
        }.items()
        if getattr(user, field) != value
    }
    if not changes:
        return
    for field, (_old, new) in changes.items():
        setattr(user, field, new)
    user.save(update_fields=list(changes))
    kind = AccountEvent.Kind.ROLE_CHANGED if "role" in changes else AccountEvent.Kind.USER_UPDATED
    AccountEvent.objects.create(kind=kind, actor=actor, user=user, data=changes)


@transaction.atomic
def update_own_preferences(
    user: User,
    *,
    display_name: str,
    language: str,
    time_zone: str,
    notify_desktop: bool = False,
    notify_sound: bool = False,
) -> None:
    """A user's own display name, language, time zone and notifications."""
    user.display_name = display_name
    user.language = language
    user.time_zone = time_zone
    user.notify_desktop = notify_desktop
    user.notify_sound = notify_sound
    user.save(
        update_fields=["display_name", "language", "time_zone", "notify_desktop", "notify_sound"]
    )


@transaction.atomic
def remove_licence(user: User, *, actor: User) -> None:
    """Deactivate a user: they cannot log in and their open sessions stop working.

    Refused for oneself (so nobody locks themselves out by a slip) and for the last admin.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk:
        raise ActionRefused(_("You cannot remove your own licence."))
    if not user.is_active:
        return
    if user.role == Role.ADMIN:
        _ensure_another_admin_remains(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    AccountEvent.objects.create(kind=AccountEvent.Kind.LICENCE_REMOVED, actor=actor, user=user)


@transaction.atomic
def restore_licence(user: User, *, actor: User) -> None:
    """Reactivate a user; they log in with their previous password."""
    updated = User.objects.filter(pk=user.pk, is_active=False).update(is_active=True)
    if updated:
        AccountEvent.objects.create(kind=AccountEvent.Kind.LICENCE_RESTORED, actor=actor, user=user)


@transaction.atomic
def update_organisation(
    organisation: Organisation,
    *,
    name: str,
    address: str,
    email: str,
    phone: str,
    authors_may_edit_notes: bool,
    actor: User,
    variables: dict[str, str] | None = None,
) -> None:
    """Change the account variables that messages and campaigns insert, and org settings.

    `variables` replaces the admin's own variables ({key: value}; the form has checked the
    keys); None leaves them as they are. Records what changed in one ORGANISATION_UPDATED
    event, none when nothing did."""
    new: dict[str, object] = {
        "name": name,
        "address": address,
        "email": email,
        "phone": phone,
        "authors_may_edit_notes": authors_may_edit_notes,
    }
    if variables is not None:
        new["variables"] = variables
    changes = {
        k: [getattr(organisation, k), v] for k, v in new.items() if getattr(organisation, k) != v
    }
    if not changes:
        return
    for field, (_old, value) in changes.items():
        setattr(organisation, field, value)
    organisation.save(update_fields=[*changes, "updated_at"])
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.ORGANISATION_UPDATED, actor=actor, data=changes
    )


def _ensure_another_admin_remains(user: User) -> None:
    others = User.objects.licensed().admins().exclude(pk=user.pk).select_for_update()
    if not others.exists():
        raise ActionRefused(
            _("%(name)s is the only admin. Make someone else an admin first.") % {"name": user}
        )
