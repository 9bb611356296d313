"""One-time, expiring login links (welcome and purchase e-mails, "send me a new link").

The token is stateless, in the style of Django's password-reset tokens: an HMAC over the member's
id, password hash, last login, e-mail and link generation plus a timestamp. Logging in changes
``last_login``, so a link works once; setting a password also ends it; making a new link raises
``User.login_link_generation``, so only the newest link works; after
``LOGIN_LINK_MAX_AGE_SECONDS`` it expires. Mail scanners open links before the member does, so
opening a link only shows a page with a button: the POST from that button uses the token.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from members import throttle
from members.models import User
from outbox.models import OutboxMessage
from outbox.services import Outgoing, enqueue

DEFAULT_MAX_AGE_SECONDS = 3 * 24 * 60 * 60
REQUESTS_PER_HOUR = 5


LINK_LOGIN_SESSION_KEY = "login_link_at"
SET_PASSWORD_WINDOW_SECONDS = 15 * 60


def max_age_seconds() -> int:
    return int(getattr(settings, "LOGIN_LINK_MAX_AGE_SECONDS", DEFAULT_MAX_AGE_SECONDS))


class ExpiringTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset tokens, dated by the UTC clock and valid while ``fresh(age)``
    says so (age in seconds): the base of the login links and the erasure confirmation."""

    def _now(self) -> datetime:
        # Django dates tokens by the naive local clock, which runs an hour back each autumn:
        # a link sent just before the change would look as if it came from the future.
        return datetime.now(UTC).replace(tzinfo=None)

    def fresh(self, age: int) -> bool:
        raise NotImplementedError

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            timestamp_b36, _hash = token.split("-")
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self.fresh(self._num_seconds(self._now()) - timestamp)


class LoginLinkTokenGenerator(ExpiringTokenGenerator):
    key_salt = "members.login_links.LoginLinkTokenGenerator"

    def _make_hash_value(self, user, timestamp: int) -> str:
        value = super()._make_hash_value(user, timestamp)
        # Generation 0 hashes as before the counter existed: links already sent keep working.
        generation = user.login_link_generation
        return f"{value}:{generation}" if generation else value

    def fresh(self, age: int) -> bool:
        return age <= max_age_seconds()


login_link_tokens = LoginLinkTokenGenerator()


@transaction.atomic
def login_link_url(member: User) -> str:
    """An absolute one-time login link for the member; every older link of theirs stops working.

    The row lock makes concurrent links take distinct generations (only one of them works).
    """
    generation = (
        User.objects.select_for_update()
        .values_list("login_link_generation", flat=True)
        .get(pk=member.pk)
    ) + 1
    User.objects.filter(pk=member.pk).update(login_link_generation=generation)
    member.login_link_generation = generation
    path = reverse(
        "login_link:use",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(member.pk)),
            "token": login_link_tokens.make_token(member),
        },
    )
    return settings.SITE_URL + path


def _member_from(uidb64: str) -> User | None:
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


class RequestLinkForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"))


def _invalid(request: HttpRequest) -> HttpResponse:
    context = {"form": RequestLinkForm()}
    return render(request, "members/login_link/invalid.html", context, status=410)


@never_cache
@require_http_methods(["GET", "POST"])
def use_link(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """GET: a page with a button (scanners stop here). POST: log in, once."""
    member = _member_from(uidb64)
    if member is None or not login_link_tokens.check_token(member, token):
        return _invalid(request)
    if request.method == "GET":
        return render(request, "members/login_link/confirm.html", {"member": member})
    claimed_unproven = mark_address_verified(member=member)
    if claimed_unproven and member.has_usable_password() and not member.is_staff:
        # The address was claimed by a sign-up that never proved it, and that sign-up chose the
        # password: possibly someone else, using a buyer's address. That password and its
        # sessions end; the owner of the address chooses their own next.
        member.set_unusable_password()
        member.session_generation += 1
        member.save(update_fields=["password", "session_generation"])
    login(request, member, backend="django.contrib.auth.backends.ModelBackend")
    request.session[LINK_LOGIN_SESSION_KEY] = int(time.time())
    if not member.has_usable_password():
        return redirect("login_link:set_password")
    return redirect("members:dashboard")


def mark_address_verified(*, member: User) -> bool:
    """Opening a link sent to the address proves the member controls it (allauth's record).

    True if the address had been claimed through allauth (a sign-up, an added address) without
    proof until now. With a verified primary address, allauth asks for confirmation before an
    e-mail change.
    """
    from allauth.account.models import EmailAddress

    address, created = EmailAddress.objects.get_or_create(
        user=member, email__iexact=member.email,
        defaults={"email": member.email, "primary": True, "verified": True},
    )  # fmt: skip
    claimed_unproven = not created and not address.verified
    if not (address.verified and address.primary):
        EmailAddress.objects.filter(user=member).exclude(pk=address.pk).update(primary=False)
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])
    return claimed_unproven


def send_login_link(*, member: User) -> None:
    from billing.emails import build_email

    message = build_email(
        member=member,
        template="login_link",
        context={"login_url": login_link_url(member), "max_age_hours": max_age_seconds() // 3600},
    )
    message.send()


def send_login_link_email(*, member_id: int, now: datetime) -> bool:
    """The outbox handler: a new link to the member (none to a deactivated account)."""
    member = User.objects.filter(pk=member_id, is_active=True).first()
    if member is None:
        return False
    send_login_link(member=member)
    return True


def _allowed(request: HttpRequest, email: str) -> bool:
    """At most a few links per address and per client an hour (counters in the cache)."""
    per_address = throttle.count(f"login-link:{email.lower()}", period=3600)
    per_client = throttle.count(f"login-link-ip:{throttle.client_ip(request)}", period=3600)
    return per_address <= REQUESTS_PER_HOUR and per_client <= REQUESTS_PER_HOUR * 4


@never_cache
@require_http_methods(["GET", "POST"])
def request_link(request: HttpRequest) -> HttpResponse:
    """Ask for a new link; the answer never reveals whether the address has an account."""
    form = RequestLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        member = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if member is not None and _allowed(request, email):
            # Through the outbox, after the answer: neither the time the mail server takes nor
            # its failure shows whether the address has an account.
            with transaction.atomic():
                message = Outgoing(
                    OutboxMessage.Kind.LOGIN_LINK_EMAIL, member.pk, {"member_id": member.pk}
                )
                enqueue(message, now=timezone.now())
        return render(request, "members/login_link/sent.html", {"email": email})
    return render(request, "members/login_link/request.html", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest) -> HttpResponse:
    """A new member, logged in by their link, chooses a password (or skips for now).

    Without the old password, so only for a member who has none yet, or right after a link
    login (the link proved the address). Anyone else at a logged-in screen changes the password
    the usual way, which asks for the current one.
    """
    linked_at = request.session.get(LINK_LOGIN_SESSION_KEY, 0)
    fresh_link = time.time() - linked_at < SET_PASSWORD_WINDOW_SECONDS
    if request.user.has_usable_password() and not fresh_link:
        return redirect("account_change_password")
    form = SetPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = form.save()
        update_session_auth_hash(request, member)
        messages.success(request, _("Your password is set."))
        return redirect("members:dashboard")
    return render(request, "members/login_link/set_password.html", {"form": form})
