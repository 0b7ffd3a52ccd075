"""Settings → Contacts → Import: the list with the upload, an import's page (mapping, dry
run, progress, outcome), cancel and the error report. Admins and managers (403 for
everyone else); an import is loaded through contacts.csv_import.access (404)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from contacts.csv_import import actions, running
from contacts.csv_import.access import access_contact_import, require_importer
from contacts.csv_import.forms import CONSENT_CHANNELS, MappingForm, UploadForm
from contacts.csv_import.mapping import suggest, targets
from contacts.csv_import.models import ContactImport
from contacts.models import AttributeDefinition
from lib.errors import ActionRefused
from lib.htmx import render_page
from lib.pagination import InvalidCursor, paginate

IMPORTS_PER_PAGE = 25
LIST_TEMPLATE = "contacts/settings/imports.html"
DETAIL_TEMPLATE = "contacts/settings/import_detail.html"
DOWNLOAD_CHUNK = 64 * 1024


def _list(request: AuthenticatedRequest, form: UploadForm, *, status: int = 200) -> HttpResponse:
    try:
        page = paginate(
            ContactImport.objects.visible_to(request.user).select_related("created_by"),
            ordering=("-created_at", "-id"),
            cursor=request.GET.get("after"),
            per_page=IMPORTS_PER_PAGE,
        )
    except InvalidCursor as exc:
        raise Http404 from exc
    fragment = "import-rows" if request.GET.get("after") else None
    return render_page(
        request, LIST_TEMPLATE, {"page": page, "form": form}, fragment=fragment, status=status
    )


def imports(request: AuthenticatedRequest) -> HttpResponse:
    require_importer(request.user)
    if request.method != "POST":
        return _list(request, UploadForm())
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            contact_import = actions.upload_import(
                upload=form.cleaned_data["file"], actor=request.user
            )
        except ValidationError as invalid:
            form.add_error("file", invalid)
        else:
            return redirect("contact_settings:import_detail", import_id=contact_import.pk)
    return _list(request, form, status=422)


def _mapping_form(contact_import: ContactImport, data: Any = None) -> MappingForm:
    definitions = AttributeDefinition.objects.all_cached()
    mapping = contact_import.mapping or suggest(contact_import.header, definitions)
    initial = {f"column_{index}": target for index, target in enumerate(mapping)}
    initial.update(
        source_system=contact_import.source_system,
        tags=", ".join(contact_import.tags),
        consented=bool(contact_import.consent_basis),
        consent_channel=contact_import.consent_channel,
        consent_basis=contact_import.consent_basis,
        consent_source=contact_import.consent_source,
    )
    return MappingForm(
        data, initial=initial, header=contact_import.header, targets=targets(definitions)
    )


def _detail(
    request: AuthenticatedRequest,
    contact_import: ContactImport,
    form: MappingForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    form = form or _mapping_form(contact_import)
    rows = [
        (cells + [""] * len(contact_import.header))[: len(contact_import.header)]
        for cells in contact_import.preview
    ]
    seconds_left = contact_import.seconds_left
    context = {
        "contact_import": contact_import,
        "form": form,
        "preview": rows,
        "rate": contact_import.rows_per_second,
        "time_left": _duration(seconds_left) if seconds_left is not None else "",
        "consent_purpose": CONSENT_CHANNELS.get(contact_import.consent_channel, ""),
    }
    return render_page(request, DETAIL_TEMPLATE, context, fragment="import-panel", status=status)


def _duration(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(n)s second", "%(n)s seconds", seconds) % {"n": seconds}
    minutes = round(seconds / 60)
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}


def import_detail(request: AuthenticatedRequest, import_id: int) -> HttpResponse:
    contact_import = access_contact_import(request.user, import_id)
    if request.method != "POST":
        return _detail(request, contact_import)
    form = _mapping_form(contact_import, request.POST)
    if not form.is_valid():
        return _detail(request, contact_import, form, status=422)
    data = form.cleaned_data
    try:
        actions.save_mapping(
            contact_import,
            mapping=data["mapping"],
            source_system=data["source_system"].strip(),
            tags=data["tag_list"],
            consent_channel=data["consent_channel"],
            consent_basis=data["consent_basis"],
            consent_source=data["consent_source"].strip(),
        )
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("contact_settings:import_detail", import_id=contact_import.pk)
    small = contact_import.total_rows <= running.CHUNK
    if actions.start_dry_run(contact_import, actor=request.user, enqueue=not small) and small:
        # One chunk: done before the page comes back, no need for a worker.
        running.run(contact_import.pk)
    return redirect("contact_settings:import_detail", import_id=contact_import.pk)


@require_POST
def import_start(request: AuthenticatedRequest, import_id: int) -> HttpResponse:
    contact_import = access_contact_import(request.user, import_id)
    if actions.start_import(contact_import, actor=request.user):
        messages.success(request, _("The import has started."))
    else:
        messages.error(request, _("Run the dry run of this mapping first."))
    return redirect("contact_settings:import_detail", import_id=contact_import.pk)


def import_cancel(request: AuthenticatedRequest, import_id: int) -> HttpResponse:
    contact_import = access_contact_import(request.user, import_id)
    if request.method == "POST":
        if actions.cancel_import(contact_import, actor=request.user):
            messages.success(
                request, _("The import stops after the rows in progress. What is imported stays.")
            )
        else:
            messages.error(request, _("This import has finished already."))
        return redirect("contact_settings:import_detail", import_id=contact_import.pk)
    return render(
        request, "contacts/settings/import_cancel.html", {"contact_import": contact_import}
    )


def import_errors(request: AuthenticatedRequest, import_id: int) -> StreamingHttpResponse:
    contact_import = access_contact_import(request.user, import_id)
    if not contact_import.error_report_path:
        raise Http404
    try:
        source = default_storage.open(contact_import.error_report_path, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc

    def chunks() -> Any:
        with source:
            while data := source.read(DOWNLOAD_CHUNK):
                yield data

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="import-{contact_import.pk}-errors.csv"'
    )
    response["Cache-Control"] = "no-store"
    return response
