"""Survey tasks: send one invitation, and the beat's sweep of those whose delay has passed.
They take ids and call surveys.actions.invitations; each may run twice harmlessly."""

from celery import shared_task


def enqueue_send(invitation_id: int) -> None:
    """Send after the caller's transaction commits; the beat's send_due catches it if the
    broker is down."""
    send_invitation.delay_on_commit(invitation_id)


@shared_task(ignore_result=True)
def send_invitation(invitation_id: int) -> bool:
    from surveys.actions.invitations import send_invitation as send

    return send(invitation_id)


@shared_task(ignore_result=True)
def send_due() -> int:
    from surveys.actions.invitations import due_ids
    from surveys.actions.invitations import send_invitation as send

    return sum(1 for pk in due_ids() if send(pk))
