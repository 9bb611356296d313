"""A member with every kind of data, built through the real paths: a lead-magnet sign-up and
its double opt-in, a signed Stripe checkout (order, payment, invoice, welcome e-mail), lesson
progress and a download through the member area, support actions, store credit, a sequence
e-mail, an admin log entry and a reconcile finding."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from billing.models import Order, ReconcileFinding, ReconcileRun
from members import downloads
from members.credit import add_store_credit
from members.models import User
from members.support import grant_complimentary
from sequences import services as sequence_services
from sequences.models import Sequence
from tests.factories import (
    CourseFactory,
    DownloadFactory,
    LessonFactory,
    ModuleFactory,
    PriceFactory,
    ProductFactory,
)
from tests.invoices.helpers import make_seller
from tests.leads.helpers import form_data, free_product, link_path, signup_url
from tests.payloads.stripe import build_event
from tests.sequences.helpers import make_sequence

EMAIL = "ada.koenig@example.test"
NAME = "Ada Königsberg"
PASSWORD = "correct-horse-42-battery"


def build_member(*, client, post_committed, deliver, mailoutbox, creator, capture) -> User:
    """``capture``: django_capture_on_commit_callbacks."""
    starter = free_product()
    make_sequence(trigger=Sequence.Trigger.LEAD_CONFIRMED, product=starter, delays=(0,))
    post_committed(
        signup_url(starter),
        form_data(email=EMAIL, name=NAME),
        HTTP_USER_AGENT="Firefox/140",
        REMOTE_ADDR="198.51.100.7",
    )
    with capture(execute=True):
        client.post(link_path(mailoutbox[-1]), REMOTE_ADDR="198.51.100.8")

    make_seller()
    course = CourseFactory(name="Habit course", slug="habit-course")
    lesson = LessonFactory(module=ModuleFactory(product=course), title="Day one", drip_days=0)
    download = DownloadFactory(product=course, title="Workbook")
    PriceFactory(product=course, stripe_price_id="price_course", amount=4900, currency="EUR")
    deliver(
        build_event(
            "checkout.session.completed",
            price_id="price_course",
            email=EMAIL,
            name=NAME,
            amount=4900,
            payment_intent="pi_ada",
            session_id="cs_ada",
            livemode=True,
        )
    )
    member = User.objects.get(email__iexact=EMAIL)
    # The address the withdrawal waiver was given from (our own Checkout Session records it).
    Order.objects.filter(member=member).update(withdrawal_waiver_ip="198.51.100.9")
    member.set_password(PASSWORD)
    member.save()

    client.force_login(member)
    client.get(lesson.get_absolute_url())
    client.post(f"{lesson.get_absolute_url()}complete/")
    url = downloads.download_url(member=member, download=download)
    client.get(url, REMOTE_ADDR="203.0.113.9")

    now = timezone.now()
    bonus = ProductFactory(name="Bonus pack", slug="bonus-pack")
    grant_complimentary(
        member=member, product=bonus, until=None, actor=creator, reason="goodwill", now=now
    )
    add_store_credit(
        member=member, amount=1000, currency="EUR", actor=creator, reason="sorry", now=now
    )
    with capture(execute=True):
        sequence_services.enrol_members(now=now)
        sequence_services.send_due_steps(now=now + timedelta(days=1))
    ContentType.objects.clear_cache()
    LogEntry.objects.log_actions(
        user_id=creator.pk,
        queryset=[member],
        action_flag=CHANGE,
        change_message=f"Changed name of {NAME}.",
    )
    run = ReconcileRun.objects.create(provider="stripe", started_at=now)
    ReconcileFinding.objects.create(
        run=run,
        provider="stripe",
        kind=ReconcileFinding.Kind.PAID_NO_ACCESS,
        subject_ref="cs_ada",
        email=EMAIL,
        member=member,
        summary="paid, no access",
        evidence={"customer_email": EMAIL, "customer_name": NAME},
    )
    return member
