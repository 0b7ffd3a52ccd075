"""The one door to objects an operator names by id at the command line.

An operator with shell access may see every inbox, so these check existence, not rights; a
missing id is a `NotFound` with a sentence to print (the commands turn it into CommandError),
never a traceback. The web page of this app (Settings → System) loads nothing by id."""

from django.utils.translation import gettext as _

from inbox.models import InboundEvent, Inbox, InboxChannel


class NotFound(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def operator_inbox(inbox_id: int) -> Inbox:
    inbox = Inbox.objects.filter(pk=inbox_id).first()
    if inbox is None:
        raise NotFound(_("There is no inbox with id %(id)s.") % {"id": inbox_id})
    return inbox


def operator_sender(kind: str, address: str) -> InboxChannel:
    """One of our numbers or addresses (already normalised) on `kind`."""
    channel = InboxChannel.objects.filter(kind=kind, address=address).first()
    if channel is None:
        raise NotFound(
            _("%(address)s is not a number or address of any inbox (%(kind)s).")
            % {"address": address, "kind": kind}
        )
    return channel


def operator_inbound_event(event_id: int) -> InboundEvent:
    event = InboundEvent.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound(_("There is no inbound event with id %(id)s.") % {"id": event_id})
    return event
