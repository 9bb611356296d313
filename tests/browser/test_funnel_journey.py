"""Issue 16's first acceptance line, end to end in Debian's chromium, offline test mode.

A visitor opens the free lead magnet's sales page (a counted visit), claims it, confirms from
the e-mail (the link's GET shows a button, its POST confirms), lands logged in with the product.
The nurture sequence's first e-mail arrives after its delay (the beat job run with the clock
moved); its link leads to the next product, bought at the local test checkout, which stops the
sequence. The funnel report then counts each step once, and the creator's funnel page shows the
same figures (screenshots at 1280 and 375 px in ``var/screenshots/funnel-admin-*.png``).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from funnel.models import PageVisitDay
from funnel.report import build_funnel
from leads.models import Consent, SignUp
from members.models import AccessGrant
from sequences import tasks
from sequences.models import Enrolment, Sequence, SequenceEmail, Step
from tests.browser.helpers import save_screenshot
from tests.factories import PriceFactory
from tests.leads.helpers import free_product, link_path

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^\s\"'<>]+")


def beat(at, capture) -> None:
    """One run of the sequences' beat job at ``at``; the outbox sends after commit."""
    with time_machine.travel(at, tick=False), capture(execute=True):
        # Celery's "no .get() inside a task" flag is process-wide: an eager task the live
        # server's thread runs at the same moment would trip it for this thread.
        tasks.run_sequences.delay().get(disable_sync_subtasks=False)


def nurture(*, free, target) -> Sequence:
    sequence = Sequence.objects.create(
        name="Checklist to workbook",
        trigger=Sequence.Trigger.LEAD_CONFIRMED,
        product=free,
        target_product=target,
        is_active=True,
        enrol_from=timezone.now() - timedelta(days=1),
    )
    for order, delay in ((1, 2), (2, 3)):
        Step.objects.create(
            sequence=sequence,
            order=order,
            delay_days=delay,
            subject_en=f"Step {order}: your next step, {{first_name}}",
            body_en="Hello {first_name}, the workbook takes you further: {link}",
        )
    return sequence


def site_path(url: str) -> str:
    """A link from an e-mail (SITE_URL) as a path on the live server."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.django_db(transaction=True)
def test_visit_claim_confirm_nurture_buy_and_the_funnel_counts_each_step_once(
    live_server,
    chromium,
    settings,
    mailoutbox,
    django_capture_on_commit_callbacks,
    django_user_model,
):
    from playwright.sync_api import expect

    settings.DEBUG = True  # offline test mode: a development site without a Stripe key
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_OFFLINE_WEBHOOK_SECRET
    free = free_product()
    workbook = PriceFactory(
        product__name="Calm money workbook", product__slug="workbook", amount=1900,
        stripe_price_id="price_workbook",
    ).product  # fmt: skip
    sequence = nurture(free=free, target=workbook)
    started = timezone.now()
    base = live_server.url
    page = chromium.new_page()
    page.set_default_timeout(15_000)

    # 1. The visitor opens the free product's page (counted) and claims it.
    page.goto(f"{base}{free.get_catalog_url()}")
    page.get_by_label("E-mail address").fill("ada@example.test")
    page.get_by_label("First name (optional)").fill("Ada")
    page.get_by_label("I agree to receive this free product").check()
    page.get_by_role("button", name="Send it to me").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert not AccessGrant.objects.exists()

    # 2. The link in the e-mail: GET shows a button (grants nothing), the click confirms.
    (confirmation,) = mailoutbox
    page.goto(base + link_path(confirmation))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your address")
    assert not AccessGrant.objects.exists()
    page.get_by_role("button", name="Confirm and get “Starter checklist (free)”").click()
    page.wait_for_url(re.compile(rf"{re.escape(free.get_absolute_url())}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Starter checklist")
    grant = AccessGrant.objects.get()
    member = grant.member
    assert (member.email, grant.product, grant.source) == ("ada@example.test", free, "free")
    assert Consent.objects.filter(member=member, product=free).count() == 1
    page.goto(f"{base}/members/")  # logged in: the member area opens, no login page
    assert page.url == f"{base}/members/"
    mailoutbox.clear()

    # 3. The beat job enrols her; the first nurture e-mail waits for its delay (2 days).
    beat(started + timedelta(minutes=5), django_capture_on_commit_callbacks)
    enrolment = Enrolment.objects.get(member=member, sequence=sequence)
    beat(started + timedelta(days=1), django_capture_on_commit_callbacks)
    assert mailoutbox == []
    beat(started + timedelta(days=3), django_capture_on_commit_callbacks)
    (nurture_mail,) = mailoutbox
    assert nurture_mail.to == ["ada@example.test"]
    assert nurture_mail.subject == "Step 1: your next step, Ada"

    # 4. Its link leads to the workbook (a counted visit), bought at the test checkout.
    workbook_link = next(
        url for url in LINK.findall(nurture_mail.body) if "/products/workbook/" in url
    )
    page.goto(base + site_path(workbook_link))
    page.get_by_role("button", name="Buy now").click()
    expect(page.get_by_label("E-mail address")).to_have_value("ada@example.test")
    page.locator('input[name="withdrawal_waiver"]').check()
    page.get_by_role("button", name="Pay (test mode)").click()
    page.wait_for_url(re.compile(r"/billing/checkout/success/"))
    assert AccessGrant.objects.filter(member=member, product=workbook).exists()

    # 5. The purchase stops the sequence: no second e-mail, ever.
    mailoutbox.clear()
    beat(started + timedelta(days=4), django_capture_on_commit_callbacks)
    beat(started + timedelta(days=12), django_capture_on_commit_callbacks)
    assert mailoutbox == []
    enrolment.refresh_from_db()
    assert enrolment.stopped_at is not None
    assert enrolment.stop_reason == Enrolment.StopReason.TARGET_BOUGHT
    assert SequenceEmail.objects.filter(enrolment=enrolment).count() == 1

    # 6. The funnel counts each step once (the test checkout's order is a test-mode order).
    today = timezone.localdate(started)
    report = build_funnel(start=today - timedelta(days=1), end=today + timedelta(days=1),
                          include_test=True)  # fmt: skip
    assert {page.slug: page.visitors for page in report.pages} == {
        "starter-checklist": 1, "workbook": 1,
    }  # fmt: skip
    assert [(step.key, step.count) for step in report.steps] == [
        ("visitors", 2), ("signups", 1), ("confirmations", 1), ("first_purchases", 1),
    ]  # fmt: skip
    assert [row.revenue_minor for row in report.revenue] == [1900]
    live_only = build_funnel(start=today - timedelta(days=1), end=today + timedelta(days=1))
    assert live_only.step("first_purchases").count == 0
    assert SignUp.objects.filter(confirmed_at__isnull=False).count() == 1
    assert sum(PageVisitDay.objects.values_list("count", flat=True)) == 2

    # 7. The creator's funnel page shows the same, at 1280 and 375 px.
    django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")
    admin = chromium.new_page()
    admin.set_default_timeout(15_000)
    admin.goto(f"{base}/admin/login/")
    admin.fill("#id_username", "creator@example.test")
    admin.fill("#id_password", "pw-creator-1")
    admin.click("input[type=submit]")
    admin.wait_for_url(f"{base}/admin/")
    query = f"start={report.start}&end={report.end}&include_test=on"
    admin.goto(f"{base}/admin/funnel/pagevisitday/report/?{query}")
    for key, count in [("visitors", "2"), ("signups", "1"), ("confirmations", "1"),
                       ("first_purchases", "1")]:  # fmt: skip
        expect(admin.locator(f'#funnel-steps tr[data-step="{key}"] td').first).to_have_text(count)
    expect(admin.locator('#funnel-steps tr[data-step="confirmations"] td').nth(1)).to_have_text(
        "100.0%"
    )
    for width in (1280, 375):
        admin.set_viewport_size({"width": width, "height": 900})
        assert admin.evaluate("document.documentElement.scrollWidth") <= width
        save_screenshot(admin, f"funnel-admin-{width}.png", full_page=True)
