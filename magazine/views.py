"""The member's magazine: issues per month, a post, a post's files. Thin: selectors decide."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from magazine import downloads as post_downloads
from magazine.models import Magazine, PostFile
from magazine.selectors import (
    entry_product,
    issues_page,
    magazine_or_404,
    memberships_of,
    post_files,
    post_or_404,
    post_state_for,
)
from members import downloads, usage
from members.access import effective_state
from members.views import member_view
from products.embeds import embed_url


def _no_access(request: HttpRequest, magazine: Magazine) -> HttpResponse:
    grant, product = entry_product(member=request.user, magazine=magazine)
    state = effective_state(grant, now=timezone.now()) if grant else None
    context = {"product": product, "grant": grant, "state": state}
    return render(request, "members/no_access.html", context, status=403)


def _year(request: HttpRequest) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) == 4 else None


@member_view
def issues(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    magazine = magazine_or_404(slug=slug)
    memberships = memberships_of(member=request.user, magazine=magazine, now=now)
    if not memberships:
        return _no_access(request, magazine)
    page = issues_page(magazine=magazine, memberships=memberships, year=_year(request), now=now)
    return render(request, "magazine/issues.html", {"page": page, "magazine": magazine})


@member_view
def post(request: HttpRequest, slug: str, post: str) -> HttpResponse:
    now = timezone.now()
    magazine = magazine_or_404(slug=slug)
    memberships = memberships_of(member=request.user, magazine=magazine, now=now)
    if not memberships:
        return _no_access(request, magazine)
    item = post_or_404(magazine=magazine, slug=post)
    state = post_state_for(post=item, memberships=memberships, now=now)
    if not state.is_listed:
        raise Http404  # another tier's post, or not announced yet: as if it did not exist
    context = {"magazine": magazine, "post": item, "state": state}
    if not state.is_open:
        return render(request, "magazine/post_waiting.html", context)
    best = max(memberships, key=lambda membership: membership.tier.rank)
    usage.record_first_use(grant=best.grant, now=now)
    context["video_url"] = embed_url(item.video_url)
    context["files"] = [
        (file, post_downloads.post_file_url(member=request.user, item=file))
        for file in post_files(post=item)
    ]
    return render(request, "magazine/post.html", context)


@member_view
def post_file(request: HttpRequest, token: str) -> HttpResponse:
    """A post's file, for a member to whom the post is open now."""
    now = timezone.now()
    try:
        file_pk = post_downloads.read_post_file_link(token=token, member=request.user)
    except downloads.LinkRefused:
        return render(request, "members/link_refused.html", status=403)
    item = PostFile.objects.select_related("post__magazine").filter(pk=file_pk).first()
    if item is None:
        return render(request, "members/link_refused.html", status=404)
    magazine = item.post.magazine
    memberships = memberships_of(member=request.user, magazine=magazine, now=now)
    post = post_or_404(magazine=magazine, slug=item.post.slug)
    if not post_state_for(post=post, memberships=memberships, now=now).is_open:
        return _no_access(request, magazine)
    return downloads.serve_download(item)
