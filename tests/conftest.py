from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation


def _flush_by_delete(truncate):
    """PostgreSQL's ``sql_flush`` for the test run: the teardown of a ``transaction=True`` test
    empties every table with ``DELETE`` instead of one ``TRUNCATE`` of all of them.

    TRUNCATE swaps the files of every table and index, about a second per flush of a nearly
    empty database; DELETE of the few rows a test wrote takes milliseconds. The row triggers
    that refuse DELETE (issued invoices, audit rows, consents) and the foreign-key checks are
    off for that one transaction only (``SET LOCAL session_replication_role``), as TRUNCATE
    skips them too. That needs a superuser; without one, and for ``reset_sequences``, the flush
    stays Django's TRUNCATE."""
    may_skip_triggers: dict[str, bool] = {}

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        alias = self.connection.alias
        if alias not in may_skip_triggers:
            with self.connection.cursor() as cursor:
                cursor.execute("SHOW is_superuser")
                may_skip_triggers[alias] = cursor.fetchone()[0] == "on"
        if reset_sequences or not tables or not may_skip_triggers[alias]:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [
            "SET LOCAL session_replication_role = replica;",
            *(f"DELETE FROM {self.quote_name(table)};" for table in tables),  # noqa: S608 - model tables
        ]

    return sql_flush


@pytest.fixture(scope="session", autouse=True)
def _fast_flush():
    """See ``_flush_by_delete``; Django runs the statements of a flush in one transaction."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            DatabaseOperations, "sql_flush", _flush_by_delete(DatabaseOperations.sql_flush)
        )
        yield


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Every test writes uploads into its own folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _site_language():
    """A request in German must not leave German switched on for the next test."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: no rate-limit counter or cached brand carries over
    (nor the brand this process keeps for a second)."""
    from branding.selectors import forget_brand

    cache.clear()
    forget_brand()


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("REQUIRE_SERVICES is set but the database is not PostgreSQL")
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")


@pytest.fixture
def creator(django_user_model):
    return django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")


@pytest.fixture
def creator_client(client, creator):
    client.force_login(creator)
    return client


# --- webhooks, Stripe and concurrency (issue 4) ------------------------------------------------

STRIPE_WEBHOOK_SECRET = "whsec_test_endpoint_secret"
STRIPE_URL = "/billing/webhooks/stripe/"


def post_signed(
    client,
    url: str,
    body: str,
    *,
    secret: str = STRIPE_WEBHOOK_SECRET,
    timestamp: int | None = None,
    header: str | None = None,
):
    """POST ``body`` with a real Stripe-Signature header (or the given header)."""
    from tests.payloads.stripe import sign

    signature = header if header is not None else sign(body, secret, timestamp)
    return client.post(
        url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


@pytest.fixture
def stripe_webhook_secret(settings):
    """The endpoint's signing secret is set; no API key (the API is stubbed where needed)."""
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_SECRET_KEY = ""
    return STRIPE_WEBHOOK_SECRET


@pytest.fixture
def offline_test_mode(settings, stripe_webhook_secret):
    """A development site (make run: DEBUG on) without a Stripe API key: the offline test
    checkout signs and delivers its events to our own webhook."""
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""


@pytest.fixture
def live_site(settings, stripe_webhook_secret):
    """A live site: a live API key (Stripe's API answered by a stub), so only ``livemode``
    events apply."""
    from billing import stripe_api
    from tests.billing.stripe_stub import FakeStripeHTTP

    settings.STRIPE_SECRET_KEY = "sk_live_stubbed"
    fake = FakeStripeHTTP()
    stripe_api.use_http_client(fake)
    yield fake
    stripe_api.use_http_client(None)


@pytest.fixture
def deliver(client, stripe_webhook_secret, django_capture_on_commit_callbacks):
    """Deliver a signed Stripe event and run what its commit queues (eager Celery)."""

    def _deliver(body: str, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_signed(client, STRIPE_URL, body, **kwargs)

    return _deliver


def run_concurrently(function, *, times: int = 5, arguments: list | None = None) -> list:
    """Run ``function`` in ``times`` threads released together; returns the raised errors.

    Each thread closes its own database connection at the end (Django opens one per thread).
    """
    import threading

    from django.db import connections

    calls = arguments if arguments is not None else [()] * times
    barrier = threading.Barrier(len(calls))
    errors: list = []

    def run(args) -> None:
        try:
            barrier.wait(timeout=10)
            function(*args)
        except Exception as error:  # noqa: BLE001 - collected and asserted by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(args,)) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.fixture
def warm_brand_cache(db):
    """Pages read the brand from the cache; a running site has it warm (tests/branding counts
    the one query of a cold cache). Query-count tests start from the warm state."""
    from branding.selectors import current_brand

    current_brand()


@pytest.fixture
def post_committed(client, django_capture_on_commit_callbacks):
    """``client.post`` that also runs what the request's commit queued (as in production), such
    as the outbox row of a login link asked for at /login/new/."""

    def post(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(*args, **kwargs)

    return post
