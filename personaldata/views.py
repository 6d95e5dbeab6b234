"""Your data: download everything, restore an archive, delete the account."""

from allauth.account.decorators import reauthentication_required
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from accounts.zones import zone_name
from careerplan.access import get_by_code
from careerplan.forms import posted
from careerplan.http import require_POST
from personaldata import deletion, jobs
from personaldata.export import archive_bytes, archive_name
from personaldata.forms import DeleteAccountForm, ImportForm
from personaldata.importing import ImportRefused, restore
from personaldata.models import DataExport

# The person's latest archives listed on the page.
EXPORTS_SHOWN = 3


def _get_export_for_owner(request, code):
    return get_by_code(DataExport, code=code, user=request.user)


def _render_home(request, import_form=None, status=200):
    exports = list(
        DataExport.objects.filter(user=request.user).order_by("-created")[:EXPORTS_SHOWN]
    )
    now = timezone.now()
    for export in exports:
        export.downloadable = export.is_downloadable(now)
    context = {"import_form": import_form or ImportForm(user=request.user), "exports": exports}
    return render(request, "personaldata/data.html", context, status=status)


@login_required
@require_safe
def data_home(request):
    return _render_home(request)


@login_required
@require_POST
def export_start(request):
    """A small account's archive comes back at once; a large one is built by a worker
    and its page shows the progress."""
    user = request.user
    if not jobs.is_large(user):
        response = HttpResponse(archive_bytes(user), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{archive_name(user)}"'
        response["Cache-Control"] = "private, no-store"
        return response
    export = jobs.request_export(user)
    return redirect("personaldata-export", export.code)


@login_required
@require_safe
def export_status(request, code):
    export = _get_export_for_owner(request, code)
    context = {"export": export, "downloadable": export.is_downloadable()}
    if request.htmx:
        return render(request, "personaldata/export.html#progress", context)
    return render(request, "personaldata/export.html", context)


@login_required
@require_safe
def export_download(request, code):
    """The archive, to its owner only, until it expires (then 410)."""
    export = _get_export_for_owner(request, code)
    if not export.is_downloadable():
        status = 410 if export.status == DataExport.Status.READY else 409
        return render(request, "personaldata/export.html", {"export": export}, status=status)
    response = FileResponse(
        export.path.open("rb"), as_attachment=True, filename=archive_name(request.user)
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def import_archive(request):
    allowed = ratelimit.consume(request, action="import_archive", user=request.user)
    form = ImportForm(request.POST, request.FILES, user=request.user, allowed=allowed)
    if form.is_valid():
        try:
            restored = restore(request.user, form.data_read)
        except ImportRefused as error:
            form.add_error("archive", str(error))
        else:
            plans = restored.counts.get("plans.Plan", 0)
            entries = restored.counts.get("journals.JournalEntry", 0)
            account = restored.user
            messages.success(
                request,
                f"Restored {plans} plan{'s' * (plans != 1)} and {entries} journal "
                f"entr{'ies' if entries != 1 else 'y'}; your name is now "
                f"{account.display_name or 'empty'} and your time zone {zone_name(account.tz)}, "
                f"as in the archive.",
            )
            return redirect("plans-dashboard")
    return _render_home(request, import_form=form, status=422 if allowed else 429)


@login_required
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request):
    """What goes, and the button; posting needs a fresh sign-in (allauth's
    reauthentication), then closes the account and signs this browser out."""
    form = DeleteAccountForm(posted(request))
    if request.method == "POST":
        if form.is_valid():
            deletion.close_account(request.user)
            logout(request)
            return redirect("personaldata-deleted")
        return render(request, "personaldata/delete.html", {"form": form}, status=422)
    return render(request, "personaldata/delete.html", {"form": form})


@require_safe
def account_deleted(request):
    return render(request, "personaldata/deleted.html")
