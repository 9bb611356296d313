"""The member's side: download my data, delete my account (confirmed by an e-mailed link).

Thin: each view checks the request (login, a recent login, rate limits, the link) and calls one
service of ``privacy.export``, ``privacy.emails`` or ``privacy.erasure``.
"""

from __future__ import annotations

import time

from allauth.account import app_settings as allauth_settings
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from members import throttle
from members.login_links import LINK_LOGIN_SESSION_KEY
from members.support import SupportError
from members.views import member_view
from privacy.emails import request_erasure
from privacy.erasure import erase_member, erasure_blockers
from privacy.export import export_filename, export_member
from privacy.tokens import member_for_token

EXPORTS_PER_HOUR = 5
ERASURE_REQUESTS_PER_HOUR = 3


def recently_logged_in(request: HttpRequest) -> bool:
    """A password login or re-entry (allauth's records), or a login link, within allauth's
    reauthentication timeout (``ACCOUNT_REAUTHENTICATION_TIMEOUT``, 5 minutes by default)."""
    window = allauth_settings.REAUTHENTICATION_TIMEOUT
    records = get_authentication_records(request, request.user)
    last = max((record.get("at", 0) for record in records), default=0)
    last = max(last, request.session.get(LINK_LOGIN_SESSION_KEY, 0))
    return time.time() - last < window


def _too_many(request: HttpRequest, action: str, limit: int) -> bool:
    per_member = throttle.count(f"privacy-{action}:{request.user.pk}", period=3600)
    per_client = throttle.count(f"privacy-{action}-ip:{throttle.client_ip(request)}", period=3600)
    return per_member > limit or per_client > limit * 4


@never_cache
@member_view
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    """The ZIP, after a recent login: a member with a password re-enters it (allauth's
    reauthentication page, which comes back here); one without logs in by a fresh link."""
    if not recently_logged_in(request):
        if request.user.has_usable_password():
            raise ReauthenticationRequired
        return render(request, "privacy/confirm_by_link.html", status=403)
    if _too_many(request, "export", EXPORTS_PER_HOUR):
        return render(request, "privacy/too_many.html", status=429)
    now = timezone.now()
    content = export_member(
        member=request.user, actor=None, reason="downloaded by the member", now=now
    )
    response = HttpResponse(content, content_type="application/zip")
    filename = export_filename(request.user, now)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@member_view
@require_http_methods(["GET", "POST"])
def request_deletion(request: HttpRequest) -> HttpResponse:
    """GET: what deleting means. POST: e-mail the confirmation link (rate-limited)."""
    blocked = bool(erasure_blockers(request.user))
    if request.method == "POST" and not blocked:
        if _too_many(request, "erase", ERASURE_REQUESTS_PER_HOUR):
            return render(request, "privacy/too_many.html", status=429)
        request_erasure(member=request.user, now=timezone.now())
        return render(request, "privacy/deletion_sent.html", {"email": request.user.email})
    return render(request, "privacy/request_deletion.html", {"blocked": blocked})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm_erasure(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """GET: a page with the final button (link scanners stop here). POST: erase, log out.
    Spoken in the member's language: the link may open on a device that is not logged in."""
    member = member_for_token(uidb64, token)
    if member is None:
        return render(request, "privacy/link_invalid.html", status=410)
    with translation.override(member.language or translation.get_language()):
        if request.method == "GET":
            return render(request, "privacy/confirm_erasure.html", {"member": member})
        try:
            erase_member(
                member_pk=member.pk,
                actor=None,
                reason="requested by the member, confirmed by e-mail",
                now=timezone.now(),
            )
        except SupportError:
            return render(request, "privacy/request_deletion.html", {"blocked": True}, status=409)
        if request.user.is_authenticated and request.user.pk == member.pk:
            logout(request)
        return render(request, "privacy/erased.html")
