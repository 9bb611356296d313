"""Unsubscribe without logging in (a signed link, one-click POST) and the profile's switch."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from members.views import member_view
from sequences.services import set_marketing_emails
from sequences.unsubscribe import member_from_token


# No CSRF token: mail providers POST the one-click request (RFC 8058) without cookies or a
# form. The signed token in the URL is what authorises it, and it can only turn e-mails off.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with a button (mail scanners open links). POST: unsubscribe, once."""
    member = member_from_token(token)
    if member is None:
        return render(request, "sequences/unsubscribe_invalid.html", status=404)
    language = member.language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        if request.method == "GET":
            return render(request, "sequences/unsubscribe_confirm.html", {"member": member})
        set_marketing_emails(member_pk=member.pk, subscribed=False, now=timezone.now())
        return render(request, "sequences/unsubscribe_done.html", {"member": member})


@require_POST
@member_view
def marketing_preference(request: HttpRequest) -> HttpResponse:
    """The profile's switch: ``subscribed`` is "1" (on) or "0" (off); anything else changes
    nothing."""
    choice = request.POST.get("subscribed")
    if choice not in {"0", "1"}:
        messages.error(request, _("Choose whether you want these e-mails."))
        return redirect("members:profile")
    subscribed = choice == "1"
    set_marketing_emails(member_pk=request.user.pk, subscribed=subscribed, now=timezone.now())
    if subscribed:
        messages.success(request, _("You get news and offers by e-mail again."))
    else:
        messages.success(request, _("You get no more news and offers by e-mail."))
    return redirect("members:profile")
