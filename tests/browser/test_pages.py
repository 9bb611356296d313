"""Every visitor and member page in Debian's chromium, at a phone's 390 px and a laptop's 1280 px,
in English and German: no sideways scroll, the site's stylesheet loaded, the brand name from the
settings in the header, and no serious or critical axe-core violation. A screenshot of each page
at each width lands in ``var/screenshots/`` (or ``$SCREENSHOTS_DIR``), for a reviewer to look at.

To cover another page, add a ``Page`` to ``PAGES``: a name, who sees it and how to build its URL
from the ``Scene`` (the data every page can use).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from billing.models import Subscription
from billing.providers.base import WaiverConsent
from billing.providers.stripe_test_checkout import complete_test_checkout
from billing.waiver import WAIVER_VERSION
from branding.models import Branding
from invoices.services import issue_invoice_for_payment
from invoices.tasks import deliver_document
from magazine.models import Post
from members.login_links import login_link_url
from products.models import Product
from tests.browser.helpers import save_screenshot
from tests.factories import DownloadFactory, PriceFactory, RecurringPriceFactory
from tests.invoices.helpers import checkout_buyer, make_payment, make_seller
from tests.members.helpers import Course, grant, make_course, make_member

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe-4.14.1.min.js"
WIDTHS = (390, 1280)
# axe runs once per page, at the phone width with the menu opened: every control is then on
# screen, and the run stays under a minute for both languages.
AXE_WIDTH = 390
MENU = {"en": "Menu", "de": "Menü"}
BRAND = "Harness Academy"
PASSWORD = "pw-pages-1"


@dataclass(frozen=True)
class Scene:
    course: Course
    invoice_number: str
    download: Product
    membership: Product
    subscription_ref: str
    session_ref: str
    login_link: str
    magazine_post: Post  # an open post of the member's magazine tier (issue 18)


def send_login_link(page) -> None:
    """From the request page to "check your e-mail" (a POST's answer, not a URL of its own)."""
    page.fill('input[name="email"]', "ada@example.test")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def unsubscribe_path() -> str:
    from members.models import User
    from sequences.unsubscribe import unsubscribe_token

    member = User.objects.get(email="ada@example.test")
    return f"/email/unsubscribe/{unsubscribe_token(member.pk)}/"


def press_unsubscribe(page) -> None:
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[Scene], str]
    member: bool  # logged in as the demo member, or a visitor
    status: int = 200
    # Offline test mode (the test checkout and the portal's stand-in) exists on a development
    # site only: DEBUG is on while such a page is looked at.
    test_mode: bool = False
    then: Callable | None = None  # what the visitor does on the page to reach the one to check


PAGES: list[Page] = [
    Page("catalog", lambda s: "/", member=False),
    Page("product", lambda s: s.course.product.get_catalog_url(), member=False),
    Page("lesson-preview", lambda s: s.course.lessons[0].get_preview_url(), member=False),
    Page(
        "checkout",
        lambda s: f"/billing/checkout/test/{s.membership.prices.get().pk}/",
        member=False,
        test_mode=True,
    ),
    Page(
        "checkout-success",
        lambda s: f"/billing/checkout/success/?session_id={s.session_ref}",
        member=False,
    ),  # fmt: skip
    Page("login", lambda s: "/accounts/login/", member=False),
    Page("password-reset", lambda s: "/accounts/password/reset/", member=False),
    Page("password-reset-done", lambda s: "/accounts/password/reset/done/", member=False),
    Page("signup-closed", lambda s: "/accounts/signup/", member=False),
    Page("login-link-request", lambda s: "/login/new/", member=False),
    Page("login-link-confirm", lambda s: s.login_link, member=False),
    # After the confirm page: sending a new link ends the older one.
    Page("login-link-sent", lambda s: "/login/new/", member=False, then=send_login_link),
    Page("login-link-invalid", lambda s: "/login/MQ/0-0/", member=False, status=410),
    # Sequences (issue 16): the unsubscribe link of a marketing e-mail, its button, a bad link.
    Page("unsubscribe", lambda s: unsubscribe_path(), member=False),
    Page("unsubscribe-done", lambda s: unsubscribe_path(), member=False, then=press_unsubscribe),
    Page("unsubscribe-invalid", lambda s: "/email/unsubscribe/nonsense/", member=False, status=404),
    Page("not-found", lambda s: "/no-such-page/", member=False, status=404),
    Page("dashboard", lambda s: "/members/", member=True),
    Page("course-outline", lambda s: s.course.product.get_absolute_url(), member=True),
    Page("lesson-open", lambda s: s.course.lessons[0].get_absolute_url(), member=True),
    Page("lesson-locked", lambda s: s.course.lessons[1].get_absolute_url(), member=True),
    Page("downloads", lambda s: s.download.get_absolute_url(), member=True),
    Page(
        "download-link-refused", lambda s: "/members/downloads/expired/", member=True, status=403
    ),  # fmt: skip
    Page("membership", lambda s: s.membership.get_absolute_url(), member=True),
    Page("magazine", lambda s: s.magazine_post.magazine.get_absolute_url(), member=True),
    Page("magazine-post", lambda s: s.magazine_post.get_absolute_url(), member=True),
    Page("profile", lambda s: "/members/profile/", member=True),
    Page("invoices", lambda s: "/members/invoices/", member=True),
    Page("invoice", lambda s: f"/members/invoices/{s.invoice_number}/", member=True),
    Page(
        "cancel",
        lambda s: f"/billing/subscriptions/{s.subscription_ref}/cancel/?back=dashboard",
        member=True,
        test_mode=True,
    ),
    Page(
        "test-portal",
        lambda s: f"/billing/subscriptions/{s.subscription_ref}/test-portal/",
        member=True,
        test_mode=True,
    ),
    Page("email", lambda s: "/accounts/email/", member=True),
    Page("password-change", lambda s: "/accounts/password/change/", member=True),
    Page("logout-confirm", lambda s: "/accounts/logout/", member=True),
]

AXE_SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => {
      const where = v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ");
      return `${v.id} (${v.impact}): ${v.help} at ${where}`;
    });
}"""

PAGE_FACTS = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  siteCss: [...document.styleSheets].some(
    s => s.href && s.href.includes("/static/css/site.css") && s.cssRules.length > 0
  ),
  brand: (document.querySelector(".site-header .brand-name") || {}).textContent || "",
  h1s: document.querySelectorAll("h1").length,
})"""


def build_scene(language: str, settings) -> Scene:
    Branding.objects.create(
        site_name=BRAND,
        accent_colour="#0f766e",
        support_email="help@example.test",
        imprint_url="https://example.test/imprint",
        privacy_url="https://example.test/privacy",
    )
    course = make_course(days=(0, 3, 6))
    course.lessons[0].is_free_preview = True
    course.lessons[0].save(update_fields=["is_free_preview"])
    PriceFactory(product=course.product)
    download = DownloadFactory(title="Workbook", product__kind=Product.Kind.DOWNLOAD).product
    membership = RecurringPriceFactory(
        product__name="Inner circle", stripe_price_id="price_pages_monthly"
    ).product
    member = make_member(email="ada@example.test", name="Ada Lovelace", language=language)
    member.set_password(PASSWORD)
    member.save()
    grant(member, course.product, starts_at=timezone.now())
    grant(member, download, starts_at=timezone.now())
    make_seller()
    payment = make_payment(member=member, product=course.product, paid_at=timezone.now())
    invoice = issue_invoice_for_payment(payment=payment, now=timezone.now(), buyer=checkout_buyer())
    # The membership the way the offline test checkout sells it: a Stripe test-mode subscription.
    with override_test_mode(settings):
        session_ref = complete_test_checkout(
            price=membership.prices.get(), email=member.email, name=member.name,
            waiver=WaiverConsent(version=WAIVER_VERSION, at=timezone.now()),
        )  # fmt: skip
    magazine_post = build_magazine(member)
    return Scene(
        magazine_post=magazine_post,
        course=course,
        invoice_number=invoice.number,
        download=download,
        membership=membership,
        subscription_ref=Subscription.objects.get(order__member=member).public_ref,
        session_ref=session_ref,
        login_link=login_link_url(member).removeprefix(settings.SITE_URL),
    )


def build_magazine(member) -> Post:
    """A magazine tier the member joined a month ago: open posts, the back catalogue waiting."""
    from magazine.models import Tier
    from tests.magazine.helpers import make_magazine, make_post, make_tier

    now = timezone.now()
    magazine = make_magazine(slug="letters")
    tier = make_tier(
        magazine, rank=1, name="Letters", visibility=Tier.Visibility.BACK_CATALOGUE_AFTER, months=3
    )
    grant(member, tier.product, starts_at=now - timedelta(days=31))
    for number in range(1, 7):
        make_post(
            magazine, tier, title=f"Letter {number}", publish_at=now - timedelta(days=number * 25)
        )
    return make_post(
        magazine,
        tier,
        title="This month's letter",
        publish_at=now - timedelta(hours=1),
        body="<p>One small step a day.</p><h2>Your task</h2><ul><li>Write two sentences.</li></ul>",
        video_url="https://youtu.be/aqz-KE-bpKQ",
    )


@contextmanager
def override_test_mode(settings):
    """Offline test mode for a moment: a development site without a Stripe key."""
    before = settings.DEBUG
    settings.DEBUG = True
    try:
        yield
    finally:
        settings.DEBUG = before


def check_page(
    page, *, base_url: str, entry: Page, scene: Scene, language: str, settings
) -> list[str]:
    """Load one page, then look at it at each width (a resize, not a reload); return what is
    wrong with it (empty when all is well)."""
    with override_test_mode(settings) if entry.test_mode else nullcontext():
        return _check_page(page, base_url=base_url, entry=entry, scene=scene, language=language)


def _check_page(page, *, base_url: str, entry: Page, scene: Scene, language: str) -> list[str]:
    problems = []
    page.set_viewport_size({"width": max(WIDTHS), "height": 900})
    # Built once: a signed URL (the unsubscribe link) carries a timestamp, so a second call a
    # second later gives another path and the page seemed "redirected".
    url = base_url + entry.url(scene)
    response = page.goto(url)
    if response is None or response.status != entry.status:
        status = response and response.status
        problems.append(f"{entry.name} [{language}]: status {status}, not {entry.status}")
    if entry.then is not None:
        entry.then(page)
    elif urlsplit(page.url).path != urlsplit(url).path:
        problems.append(f"{entry.name} [{language}]: redirected to {page.url}")
    for width in sorted(WIDTHS, reverse=True):
        page.set_viewport_size({"width": width, "height": 900})
        where = f"{entry.name} @{width}px [{language}]"
        facts = page.evaluate(PAGE_FACTS)
        if facts["scrollWidth"] > facts["innerWidth"]:
            problems.append(
                f"{where}: scrolls sideways ({facts['scrollWidth']} > {facts['innerWidth']} px)"
            )
        if not facts["siteCss"]:
            problems.append(f"{where}: site.css is not loaded")
        if facts["brand"].strip() != BRAND:
            problems.append(f"{where}: header brand is {facts['brand']!r}, not {BRAND!r}")
        if facts["h1s"] != 1:
            problems.append(f"{where}: {facts['h1s']} h1 elements, not one")
        save_screenshot(page, f"{language}-{entry.name}-{width}.png", full_page=True)
        if width == AXE_WIDTH:
            # On a phone the menu folds behind its button: open it, so axe checks the links too.
            page.get_by_role("button", name=MENU[language]).click()
            if not page.locator("#site-menu a").first.is_visible():
                problems.append(f"{where}: the menu button does not show the menu")
            if entry.name == "dashboard":
                save_screenshot(page, f"{language}-menu-open-{width}.png")
            page.add_script_tag(path=str(AXE))
            problems.extend(f"{where}: axe {found}" for found in page.evaluate(AXE_SERIOUS))
    return problems


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "de"])
def test_every_page_fits_a_phone_is_branded_and_accessible(
    live_server, chromium, language, monkeypatch, settings
):
    monkeypatch.setattr(deliver_document, "delay", lambda *args, **kwargs: None)  # no PDF needed
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_OFFLINE_WEBHOOK_SECRET
    scene = build_scene(language, settings)
    context = chromium.new_context(locale={"en": "en-GB", "de": "de-DE"}[language])
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = []
    for entry in [p for p in PAGES if not p.member]:
        problems += check_page(
            page,
            base_url=live_server.url,
            entry=entry,
            scene=scene,
            language=language,
            settings=settings,
        )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="login"]', "ada@example.test")
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/members/")
    for entry in [p for p in PAGES if p.member]:
        problems += check_page(
            page,
            base_url=live_server.url,
            entry=entry,
            scene=scene,
            language=language,
            settings=settings,
        )
    context.close()
    assert problems == []
