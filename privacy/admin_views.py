"""The creator's side, on the admin's member page: export a member's data, erase a member.

Registered by ``members.admin.UserAdmin`` (admin_view wrapper: staff login and CSRF). Export
needs the "view member" permission, erasure the "delete member" one (erasure is what deleting
a member means here). Refusals come back to the member page as an error message.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.models import User
from members.support import SupportError
from privacy.erasure import erase_member
from privacy.export import export_filename, export_member


def _member_or_404(pk: int) -> User:
    member = User.objects.filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


def _back(member: User) -> HttpResponse:
    return redirect("admin:members_user_member", object_id=member.pk)


@require_POST
def export_view(request: HttpRequest, object_id: int, *, admin_site) -> HttpResponse:
    if not request.user.has_perm("members.view_user"):
        raise PermissionDenied
    member = _member_or_404(object_id)
    now = timezone.now()
    try:
        content = export_member(
            member=member, actor=request.user, reason=request.POST.get("reason", ""), now=now
        )
    except SupportError:
        messages.error(request, _("Export: a reason is required."))
        return _back(member)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(member, now)}"'
    return response


@require_POST
def erase_view(request: HttpRequest, object_id: int, *, admin_site) -> HttpResponse:
    if not request.user.has_perm("members.delete_user"):
        raise PermissionDenied
    member = _member_or_404(object_id)
    typed = request.POST.get("confirm_email", "").strip()
    if typed.lower() != member.email.lower():
        messages.error(request, _("Erase: type the member's e-mail address to confirm."))
        return _back(member)
    try:
        erasure = erase_member(
            member_pk=member.pk,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            now=timezone.now(),
        )
    except SupportError as error:
        messages.error(request, _("Erase refused: %(error)s") % {"error": error})
        return _back(member)
    messages.success(
        request,
        _("Personal data erased; %(count)d grants ended; invoices and payments kept.")
        % {"count": erasure.grants_ended},
    )
    return _back(member)
