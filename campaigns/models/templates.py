"""Saved messages (seed 003: managers manage templates), per inbox or for the whole
organisation, per channel and language; usable in campaigns and as canned replies."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TemplateQuerySet(models.QuerySet["Template"]):
    def usable_in(self, inbox_id: int) -> "TemplateQuerySet":
        """The inbox's own templates and the organisation's."""
        return self.filter(Q(inbox_id=inbox_id) | Q(inbox__isnull=True))


class Template(models.Model):
    inbox = models.ForeignKey(
        "inbox.Inbox",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="templates",
        help_text=_("Empty: every inbox may use it."),
    )
    name = models.CharField(_("name"), max_length=100)
    # Empty: any channel.
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[TemplateQuerySet] = TemplateQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("template")
        verbose_name_plural = _("templates")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["inbox", "name"], name="template_inbox_idx")]

    def __str__(self) -> str:
        return self.name
