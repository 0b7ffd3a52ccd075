"""A user's saved list views: save the list's current filters under a name, rename, delete.
Personal preferences of one user, so they leave no event row (nobody else is affected);
opening one is only a list URL (inbox.list_tools.saved_view_url), filtered by what the user
may see at that moment."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import User
from inbox.models import SavedView

MAX_VIEWS = 30
MAX_NAME = 60


def _clean_name(user: User, name: str, *, view: SavedView | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Give the view a name."))
    if len(name) > MAX_NAME:
        raise ValidationError(_("At most %(count)s characters.") % {"count": MAX_NAME})
    same = SavedView.objects.annotate(lower=Lower("name")).filter(user=user, lower=name.lower())
    if view is not None:
        same = same.exclude(pk=view.pk)
    if same.exists():
        raise ValidationError(_("You have a view with this name already."))
    return name


def _save(view: SavedView) -> None:
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as exc:  # the same name saved twice at the same moment
        raise ValidationError(_("You have a view with this name already.")) from exc


@transaction.atomic
def save_view(*, user: User, name: str, filters: dict[str, Any]) -> SavedView:
    """Save `filters` (inbox.list_tools.saved_filters) under `name` for `user`. Refused
    (ValidationError) for an empty or taken name, or past MAX_VIEWS views."""
    name = _clean_name(user, name)
    if SavedView.objects.filter(user=user).count() >= MAX_VIEWS:
        raise ValidationError(
            _("You have %(count)s saved views; delete one first.") % {"count": MAX_VIEWS}
        )
    view = SavedView(user=user, name=name, filters=filters)
    _save(view)
    return view


@transaction.atomic
def rename_view(view: SavedView, *, name: str, actor: User) -> SavedView:
    if view.user_id != actor.pk:
        raise PermissionDenied
    view.name = _clean_name(actor, name, view=view)
    _save(view)
    return view


@transaction.atomic
def delete_view(view: SavedView, *, actor: User) -> None:
    if view.user_id != actor.pk:
        raise PermissionDenied
    view.delete()
