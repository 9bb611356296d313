"""A Digistore24 subscriber manages billing at Digistore24: the order's own cancel link and
receipt from the IPN, never a Stripe button, and no link that is not Digistore24's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from billing.models import Order
from billing.selectors import provider_page_url
from members.models import User
from tests.payloads.digistore24 import FORM, PASSPHRASE, URL, signed_body, subscription_payment

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
STOP_URL = "https://www.digistore24.com/rebilling/stop/ORDSUB01/abc123"
RECEIPT_URL = "https://www.digistore24.com/receipt/ORDSUB01/abc123"


@pytest.fixture(autouse=True)
def _passphrase(settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = PASSPHRASE


@pytest.fixture
def post_ipn(client, django_capture_on_commit_callbacks):
    def _post(fields: dict):
        with (
            time_machine.travel(T0, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(URL, data=signed_body(fields), content_type=FORM)
        assert response.content.startswith(b"OK")

    return _post


def member_page(client, url: str = "/members/") -> str:
    member = User.objects.get(email="buyer@example.test")
    member.language = "en"  # the template buyer checked out in German
    member.save(update_fields=["language"])
    client.force_login(member)
    with time_machine.travel(T0, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def first_payment(**fields) -> dict:
    defaults = {
        "order_id": "ORDSUB01",
        "rebilling_stop_url": STOP_URL,
        "receipt_url": RECEIPT_URL,
    }
    return subscription_payment(1, "2025-04-01", **{**defaults, **fields})


def test_the_ipn_links_are_kept_on_the_order(post_ipn, membership):
    post_ipn(first_payment())

    order = Order.objects.get()
    assert order.rebilling_stop_url == STOP_URL
    assert order.receipt_url == RECEIPT_URL


def test_a_digistore24_subscriber_sees_its_cancel_link_and_no_stripe_button(
    client, post_ipn, membership
):
    post_ipn(first_payment())

    for url in ("/members/", "/members/profile/"):
        html = member_page(client, url)
        assert f'href="{STOP_URL}"' in html
        assert "Cancel at Digistore24" in html
        assert f'href="{RECEIPT_URL}"' in html
        assert "Manage subscription" not in html
        assert "/portal/" not in html
        assert "Active. Next payment on 1 Apr 2025." in html


def test_an_order_recorded_before_links_were_kept_gains_them_with_the_next_rebill(
    client, post_ipn, membership
):
    post_ipn(first_payment(rebilling_stop_url="", receipt_url=""))
    assert "Cancel at Digistore24" not in member_page(client)

    post_ipn(
        subscription_payment(2, "2025-05-01", order_id="ORDSUB01", rebilling_stop_url=STOP_URL)
    )

    assert f'href="{STOP_URL}"' in member_page(client)


def test_without_any_link_the_member_is_told_whom_to_write(client, post_ipn, membership, settings):
    settings.SUPPORT_EMAIL = "help@creator.test"
    post_ipn(first_payment(rebilling_stop_url="", receipt_url="", invoice_url=""))

    html = member_page(client)

    assert "To change or cancel this subscription, write to" in html
    assert 'href="mailto:help@creator.test"' in html
    assert "Manage subscription" not in html


@pytest.mark.parametrize(
    "url",
    [
        "http://www.digistore24.com/rebilling/stop/x",  # not https
        "https://digistore24.com.evil.test/stop",
        "https://evil.test/?digistore24.com",
        "https://user@www.digistore24.com/stop",
        "javascript:alert(1)//digistore24.com",
        "https://www.digistore24.com:99999/x",
    ],
)
def test_a_link_that_is_not_a_digistore24_https_page_is_never_rendered(
    client, post_ipn, membership, url
):
    post_ipn(first_payment(rebilling_stop_url=url, receipt_url=url))

    html = member_page(client)

    assert provider_page_url(url, provider="digistore24") == ""
    assert "Cancel at Digistore24" not in html
    assert url not in html
    assert "To change or cancel this subscription" in html


def test_digistore24_subdomains_pass_and_stripe_orders_never_show_provider_links():
    assert provider_page_url(STOP_URL, provider="digistore24") == STOP_URL
    assert provider_page_url("https://digistore24.com/x", provider="digistore24")
    assert provider_page_url(STOP_URL, provider="stripe") == ""
