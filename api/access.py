"""The API's doors to objects asked for by id: the same rule as the app's access.py, with the
token's inboxes for the user's. Whatever the token may not see is a 404 (Http404, answered
as problem details), never its data — also for an object that exists in another inbox.

Contacts, their identifiers and notes belong to the organisation, not to an inbox (as in the
app, where every user with the view right sees every contact): the scope decides.
"""

from django.http import Http404

from api.principal import ApiPrincipal
from campaigns.models import Campaign
from campaigns.models.campaigns import CampaignQuerySet
from contacts.models import Contact, Identity, Note
from inbox.models import Conversation, ConversationQuerySet, Inbox


def api_contact(principal: ApiPrincipal, contact_id: int) -> Contact:
    """A contact that exists for users (not merged away); 404 otherwise."""
    contact = Contact.objects.active().filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return contact


def api_identity(principal: ApiPrincipal, contact: Contact, identity_id: int) -> Identity:
    identity = (
        Identity.objects.select_related("contact").filter(contact=contact, pk=identity_id).first()
    )
    if identity is None:
        raise Http404
    return identity


def api_note(principal: ApiPrincipal, contact: Contact, note_id: int) -> Note:
    note = Note.objects.filter(contact=contact, pk=note_id).first()
    if note is None:
        raise Http404
    return note


def visible_conversations(principal: ApiPrincipal) -> ConversationQuerySet:
    return Conversation.objects.filter(**principal.inbox_filter())


def api_conversation(principal: ApiPrincipal, conversation_id: int) -> Conversation:
    """A conversation of one of the token's inboxes; 404 for any other."""
    conversation = (
        Conversation.objects.filter(**principal.inbox_filter())
        .select_related("inbox", "contact")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def api_inbox(principal: ApiPrincipal, inbox_id: int) -> Inbox:
    """One of the token's inboxes; 404 for any other."""
    inbox = principal.visible_inboxes().filter(pk=inbox_id).first()
    if inbox is None:
        raise Http404
    return inbox


def visible_campaigns(principal: ApiPrincipal) -> CampaignQuerySet:
    return Campaign.objects.filter(**principal.inbox_filter())


def api_campaign(principal: ApiPrincipal, campaign_id: int) -> Campaign:
    """A campaign of one of the token's inboxes; 404 for any other."""
    campaign = (
        Campaign.objects.filter(**principal.inbox_filter())
        .select_related("inbox")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign
