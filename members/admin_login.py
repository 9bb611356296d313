"""The admin login, throttled like the member login: a few failures per address and per
client, then a pause (the creator's superuser must not be open to guessing)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from members import throttle

PERIOD_SECONDS = 5 * 60
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_CLIENT = 20


def _keys(request: HttpRequest) -> tuple[str, str]:
    account = request.POST.get("username", "").strip().lower()
    return f"admin-login:{account}", f"admin-login-ip:{throttle.client_ip(request)}"


def throttled(login_view):
    def login(request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method != "POST":
            return login_view(request, extra_context)
        account_key, client_key = _keys(request)
        if (
            throttle.used(account_key) >= FAILURES_PER_ACCOUNT
            or throttle.used(client_key) >= FAILURES_PER_CLIENT
        ):
            return HttpResponse(
                _("Too many failed login attempts. Try again later."),
                status=429,
                content_type="text/plain; charset=utf-8",
            )
        response = login_view(request, extra_context)
        if not (request.user.is_authenticated and request.user.is_staff):
            throttle.count(account_key, period=PERIOD_SECONDS)
            throttle.count(client_key, period=PERIOD_SECONDS)
        return response

    return login
