from django.http import HttpRequest

from branding.selectors import request_brand


def branding(request: HttpRequest) -> dict:
    """``branding`` for every template: from the cache, so a page costs no extra query."""
    return {"branding": request_brand(request)}


def account_flags(request: HttpRequest) -> dict:
    """Whether public sign-up is open, so no page links to a closed sign-up."""
    from django.conf import settings

    return {"account_signup_open": settings.ACCOUNT_SIGNUP_OPEN}
