"""The creator writes a sequence and its steps on one admin page; bad steps are refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from offers.models import Coupon
from offers.services import redeem_coupon
from sequences.models import Sequence, Step
from tests.factories import ProductFactory, UserFactory
from tests.funnel.helpers import paid_order

pytestmark = pytest.mark.django_db

URL = "/admin/sequences/sequence/add/"


def form(product, **step) -> dict:
    data = {
        "name": "Nurture",
        "trigger": "lead_confirmed",
        "product": product.pk,
        "is_active": "on",
        "enrol_from_0": "2025-11-01",
        "enrol_from_1": "00:00:00",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "1",
        "steps-MAX_NUM_FORMS": "1000",
        "steps-0-order": "1",
        "steps-0-delay_days": "2",
        "steps-0-subject_en": "Welcome, {first_name}",
        "steps-0-body_en": "Your {product}: {link}",
        "steps-0-subject_de": "",
        "steps-0-body_de": "",
        "steps-0-subject_nl": "",
        "steps-0-body_nl": "",
        "steps-0-coupon_code": "",
    }
    data.update({f"steps-0-{key}": value for key, value in step.items()})
    return data


def test_the_creator_adds_a_sequence_with_its_steps_on_one_page(creator_client):
    product = ProductFactory()
    assert creator_client.get(URL).status_code == 200

    answer = creator_client.post(URL, form(product))

    assert answer.status_code == 302
    step = Step.objects.get()
    assert (step.sequence.name, step.delay_days, step.subject_en) == (
        "Nurture",
        2,
        "Welcome, {first_name}",
    )
    page = creator_client.get(f"/admin/sequences/sequence/{step.sequence.pk}/change/")
    assert page.status_code == 200
    assert creator_client.get("/admin/sequences/sequence/").status_code == 200


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"body_en": "Hi {name}"}, "Unknown placeholder {name}"),
        ({"body_en": "Use {coupon}"}, "The text uses {coupon}: set the coupon code."),
        ({"subject_de": "Hallo"}, "Fill in both the subject and the text."),
    ],
)
def test_a_bad_step_is_refused_with_a_clear_message(creator_client, step, message):
    answer = creator_client.post(URL, form(ProductFactory(), **step))

    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not Sequence.objects.exists()


@pytest.mark.parametrize(("language", "label", "purchase_order"), [
    ("de", "Reihenfolge", "Bestellung"),
    ("nl", "Volgorde", "Bestelling"),
])  # fmt: skip
def test_a_steps_position_is_not_called_a_purchase_order(
    creator_client, language, label, purchase_order
):
    """The step's "order" field is its position; German and Dutch creators read "Bestellung" /
    "bestelling" (a purchase order) above the number."""
    html = creator_client.get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert f">{label}:</label>" in html
    assert f">{purchase_order}:</label>" not in html


@pytest.mark.parametrize(
    ("coupon", "message"),
    [
        (None, "No coupon has the code COMEBACK10."),
        ({"is_active": False}, "The coupon COMEBACK10 is not active."),
        ({"valid_until": "past"}, "The coupon COMEBACK10 has expired."),
        ({"max_redemptions": "used"}, "The coupon COMEBACK10 has been used up."),
    ],
)
def test_a_win_back_coupon_code_must_name_a_usable_coupon(creator_client, coupon, message):
    if coupon is not None:
        fields = {"is_active": coupon.get("is_active", True)}
        if coupon.get("valid_until"):
            fields["valid_until"] = timezone.now() - timedelta(hours=1)
        made = Coupon.objects.create(code="COMEBACK10", percent_off=Decimal("10"), **fields)
        if coupon.get("max_redemptions"):
            made.max_redemptions = 1
            made.save()
            order = paid_order(member=UserFactory(), product=ProductFactory(), at=timezone.now())
            redeem_coupon(coupon=made, order=order, amount=1, currency="EUR", now=timezone.now())
    step = {"coupon_code": "comeback10", "body_en": "Use {coupon}"}

    answer = creator_client.post(URL, form(ProductFactory(), **step))

    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not Sequence.objects.exists()


def test_an_active_coupon_is_accepted_and_its_code_kept_in_capitals(creator_client):
    Coupon.objects.create(code="COMEBACK10", percent_off=Decimal("10"))

    answer = creator_client.post(
        URL, form(ProductFactory(), coupon_code=" comeback10 ", body_en="Use {coupon}")
    )

    assert answer.status_code == 302
    assert Step.objects.get().coupon_code == "COMEBACK10"
