from __future__ import annotations

import pytest

from tests.outbox.smtp_stub import SMTPStub


@pytest.fixture
def smtp_server(settings):
    """Start a local SMTP stub (with or without SMTPUTF8) and send through our SMTP backend."""
    started: list[SMTPStub] = []

    def start(*, smtputf8: bool) -> SMTPStub:
        server = SMTPStub(smtputf8=smtputf8).__enter__()
        started.append(server)
        settings.EMAIL_BACKEND = "membership_site.email_backend.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.DEFAULT_FROM_EMAIL = "Membership <noreply@members.test>"
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def course_price(db):
    from tests.factories import CourseFactory, PriceFactory

    return PriceFactory(
        product=CourseFactory(name="Habit course", slug="habit-course"),
        stripe_price_id="price_course",
        amount=4900,
        currency="EUR",
    )
