"""Labels on conversations and each agent's saved list views (issue 11).

Labels belong to the organisation, like tags in Zendesk and Front's shared tags: one
vocabulary ("VIP", "Refund", "Bug") that every inbox uses, so a report or a saved view can
span inboxes, and a conversation moved between inboxes keeps its meaning. Admins define them
(Settings → Agent workspace → Labels); agents put them on conversations of their inboxes.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models.conversations import Conversation
from lib.cached import cached, forget_on_commit

LABELS_KEY = "inbox-labels"


class LabelColour(models.TextChoices):
    """A fixed palette: each colour is a class in static/css/labels.css whose text and
    background keep a contrast of at least 4.5:1 (WCAG AA)."""

    GREY = "grey", _("Grey")
    BLUE = "blue", _("Blue")
    GREEN = "green", _("Green")
    AMBER = "amber", _("Amber")
    RED = "red", _("Red")
    PINK = "pink", _("Pink")
    PURPLE = "purple", _("Purple")
    TEAL = "teal", _("Teal")


class LabelQuerySet(models.QuerySet["Label"]):
    def cached(self) -> list["Label"]:
        """Every label by name, from the request's memo or the cache (the list page, each
        row and the thread header read them); forgotten whenever one changes."""
        return cached(LABELS_KEY, lambda: list(Label.objects.order_by(Lower("name"), "id")))


class Label(models.Model):
    name = models.CharField(_("name"), max_length=40)
    colour = models.CharField(
        _("colour"), max_length=16, choices=LabelColour.choices, default=LabelColour.GREY
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects: Any = LabelQuerySet.as_manager()

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        constraints = [models.UniqueConstraint(Lower("name"), name="label_name_unique")]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def forget_cached() -> None:
        forget_on_commit(LABELS_KEY)


class ConversationLabel(models.Model):
    """One label on one conversation; added and removed only by inbox.actions.labels, which
    writes the conversation's event."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="conversation_labels"
    )
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="conversation_labels")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "label"], name="convlabel_unique")
        ]
        # Filtering the list by label walks from the label to its conversations.
        indexes = [models.Index(fields=["label", "conversation"], name="convlabel_label_idx")]

    def __str__(self) -> str:
        return f"{self.label_id} on {self.conversation_id}"


class SavedViewQuerySet(models.QuerySet["SavedView"]):
    def cached_for(self, user_id: int) -> list["SavedView"]:
        """The user's views by name, from the request's memo or the cache (the list and
        every full thread page show them); forgotten whenever one of them changes."""
        return cached(
            saved_views_key(user_id),
            lambda: list(SavedView.objects.filter(user_id=user_id).order_by(Lower("name"), "id")),
        )


def saved_views_key(user_id: int) -> str:
    return f"saved-views:{user_id}"


class SavedView(models.Model):
    """A user's named list filter ("my open WhatsApp"): the query string of
    inbox.list.ListFilters as a dict. Opening it applies the filters to the conversations
    the user may see now, so a view never shows more than the list would."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=60)
    filters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: Any = SavedViewQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint("user", Lower("name"), name="savedview_name_unique")]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def forget_cached(user_id: int) -> None:
        forget_on_commit(saved_views_key(user_id))


def _saved_view_changed(sender: Any, instance: SavedView, **kwargs: Any) -> None:
    SavedView.forget_cached(instance.user_id)


# However a view is written (the actions, Django's admin, a cascade from its user).
post_save.connect(_saved_view_changed, sender=SavedView, dispatch_uid="saved-view-saved")
post_delete.connect(_saved_view_changed, sender=SavedView, dispatch_uid="saved-view-deleted")
