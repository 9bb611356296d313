"""Member area: thin views that ask the access service and the selectors, then render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST

from billing.selectors import member_billing_lines, open_billing_lines, support_email
from branding.selectors import request_brand
from members import downloads, usage
from members.access import effective_state, grant_allows_access, grant_for, lesson_state
from members.credit import credit_balance
from members.forms import ProfileForm
from members.models import AccessGrant, User
from members.selectors import (
    build_course_progress,
    course_lesson_or_404,
    dashboard_items,
    load_course_data,
    product_downloads,
    published_product_or_404,
)
from products.embeds import embed_url
from products.models import Download, LessonAttachment
from products.selectors import course_preview as course_preview_data


def member_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; the page renders in the member's time zone and chosen language."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        language = request.user.language or translation.get_language()
        with timezone.override(request.user.zone), translation.override(language):
            return view(request, *args, **kwargs)

    return wrapper


def _download_ip(request: HttpRequest) -> str | None:
    """The client's address for the download record; None if it is not an IP address."""
    import ipaddress

    from members.throttle import client_ip

    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _no_access(request: HttpRequest, product, grant: AccessGrant | None) -> HttpResponse:
    state = effective_state(grant, now=timezone.now()) if grant else None
    context = {"product": product, "grant": grant, "state": state}
    return render(request, "members/no_access.html", context, status=403)


@member_view
def dashboard(request: HttpRequest) -> HttpResponse:
    items = dashboard_items(member=request.user, now=timezone.now())
    context = {
        "items": items,
        "billing_lines": open_billing_lines(item.billing for item in items),
        "support_email": support_email(brand=request_brand(request)),
        "grace_items": [item for item in items if item.state == AccessGrant.State.GRACE],
        "lapsed_items": [item for item in items if item.is_lapsed],
        "waiting_items": [item for item in items if item.opens_at],
    }
    return render(request, "members/dashboard.html", context)


@member_view
def product(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    product = published_product_or_404(slug=slug)
    if product.tier_or_none:  # a membership tier: its page is the magazine's issues
        return redirect(product.tier.magazine.get_absolute_url())
    grant = grant_for(member=request.user, product=product)
    if not grant_allows_access(grant, now=now):
        return _no_access(request, product, grant)
    usage.record_first_use(grant=grant, now=now)
    course = None
    if product.is_course:
        data = load_course_data(member=request.user, products=[product])
        lessons = data.lessons_by_product.get(product.pk, [])
        course = build_course_progress(
            member=request.user, grant=grant, lessons=lessons, data=data, now=now
        )
    files = [
        (item, downloads.download_url(member=request.user, download=item))
        for item in product_downloads(product=product)
    ]
    context = {
        "product": product,
        "grant": grant,
        "state": effective_state(grant, now=now),
        "course": course,
        "files": files,
    }
    return render(request, "members/product.html", context)


def _lesson_context(request: HttpRequest, slug: str, lesson_pk: int) -> dict:
    now = timezone.now()
    lesson = course_lesson_or_404(slug=slug, lesson_pk=lesson_pk)
    product = lesson.module.product
    grant = grant_for(member=request.user, product=product)
    data = load_course_data(member=request.user, products=[product])
    lessons = data.lessons_by_product.get(product.pk, [])
    course = build_course_progress(
        member=request.user, grant=grant, lessons=lessons, data=data, now=now
    )
    row = course.row(lesson.pk)
    previous, following = course.neighbours(lesson.pk)
    return {
        "now": now,
        "product": product,
        "grant": grant,
        "course": course,
        "row": row,
        "lesson": lesson,  # with its body: the outline's lessons carry titles only
        "previous": previous,
        "next": following,
    }


@member_view
def lesson(request: HttpRequest, slug: str, lesson_pk: int) -> HttpResponse:
    context = _lesson_context(request, slug, lesson_pk)
    row, grant, now = context["row"], context["grant"], context["now"]
    if not row.state.has_access:
        return _no_access(request, context["product"], grant)
    if row.state.is_locked:
        return render(request, "members/lesson_locked.html", context)
    if not context["course"].is_latest_view(row, now=now):
        usage.record_lesson_view(member=request.user, lesson=context["lesson"], now=now)
    if grant_allows_access(grant, now=now):
        usage.record_first_use(grant=grant, now=now)
    context["video_url"] = embed_url(context["lesson"].video_url)
    context["attachments"] = [
        (item, downloads.attachment_url(member=request.user, attachment=item))
        for item in (context["lesson"].attachments.all() if row.lesson.has_attachments else ())
    ]
    return render(request, "members/lesson.html", context)


@require_POST
@member_view
def lesson_complete(request: HttpRequest, slug: str, lesson_pk: int) -> HttpResponse:
    """Mark an open lesson complete (or not): htmx gets the fragment, a plain form a redirect."""
    context = _lesson_context(request, slug, lesson_pk)
    row = context["row"]
    if not row.state.has_access:
        return _no_access(request, context["product"], context["grant"])
    if not row.state.is_open:
        return render(request, "members/lesson_locked.html", context, status=403)
    completed = request.POST.get("completed", "1") == "1"
    usage.set_lesson_completed(
        member=request.user, lesson=context["lesson"], completed=completed, now=context["now"]
    )
    if request.headers.get("HX-Request") != "true":
        return redirect(row.lesson.get_absolute_url())
    context = _lesson_context(request, slug, lesson_pk)
    context["is_htmx"] = True
    return render(request, "members/_lesson_complete.html", context)


@staff_member_required
@member_view
def course_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """Staff read a course as a member would, every lesson open; no grant is read or written."""
    data = course_preview_data(slug=slug)
    if data is None:
        raise Http404
    product, modules = data
    return render(request, "members/preview.html", {"product": product, "modules": modules})


@member_view
def lesson_attachment(request: HttpRequest, token: str) -> HttpResponse:
    """A lesson's file, for a member to whom the lesson is open now."""
    now = timezone.now()
    try:
        attachment_pk = downloads.read_attachment_link(token=token, member=request.user)
    except downloads.LinkRefused:
        return render(request, "members/link_refused.html", status=403)
    item = (
        LessonAttachment.objects.select_related("lesson__module__product")
        .filter(pk=attachment_pk, lesson__module__product__is_published=True)
        .first()
    )
    if item is None:
        return render(request, "members/link_refused.html", status=404)
    if not lesson_state(member=request.user, lesson=item.lesson, now=now).is_open:
        return _no_access(request, item.lesson.module.product, None)
    return downloads.serve_download(item)


@member_view
def download(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    try:
        target = downloads.read_link(token=token, member=request.user)
    except downloads.LinkRefused:
        return render(request, "members/link_refused.html", status=403)
    item = (
        Download.objects.select_related("product")
        .filter(pk=target.download_pk, product__is_published=True)
        .first()
    )
    if item is None:
        return render(request, "members/link_refused.html", status=404)
    grant = grant_for(member=request.user, product=item.product)
    if not grant_allows_access(grant, now=now):
        return _no_access(request, item.product, grant)
    # The file first: a store that does not answer (503) records no download.
    response = downloads.serve_download(item)
    usage.record_first_use(grant=grant, now=now)
    usage.record_download(member=request.user, download=item, now=now, ip=_download_ip(request))
    return response


@member_view
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        response = redirect("members:profile")
        if user.language:
            translation.activate(user.language)
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        messages.success(request, _("Your profile is saved."))
        return response
    context = {
        "form": form,
        "billing_lines": member_billing_lines(member=request.user),
        "support_email": support_email(brand=request_brand(request)),
        "store_credit": credit_balance(member=request.user),
    }
    return render(request, "members/profile.html", context)


@require_POST
@member_view
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    """Log the member out everywhere else: their session hash changes, this session is re-hashed."""
    User.objects.filter(pk=request.user.pk).update(session_generation=F("session_generation") + 1)
    request.user.refresh_from_db(fields=["session_generation"])
    update_session_auth_hash(request, request.user)
    messages.success(request, _("You are logged out of every other session."))
    return redirect("members:profile")


LANGUAGES = dict(settings.LANGUAGES)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switcher; a logged-in member's choice is also saved on their profile.

    Member pages and e-mails speak the profile's language, so the footer switch must change it
    too, or it would seem to do nothing inside the member area.
    """
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in LANGUAGES:
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response
