"""With private files in a bucket whose server does not answer: the site stays up, a download
answers 503 with a plain page in the member's language, /healthz names the storage, and every
page that does not read a file renders as usual."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from members.downloads import download_url
from members.models import DownloadUse
from tests.factories import DownloadFactory
from tests.members.helpers import BOUGHT_AT, grant, make_member

pytestmark = pytest.mark.django_db
NOW = BOUGHT_AT + timedelta(days=1)


@pytest.fixture
def member_with_download(client):
    item = DownloadFactory()  # written to local disk; then the store "moves" to a dead bucket
    member = make_member()
    access = grant(member, item.product)
    client.force_login(member)
    return item, member, access


def test_a_download_answers_503_with_a_page_that_says_to_try_again(
    client, member_with_download, store_down
):
    item, member, access = member_with_download

    with time_machine.travel(NOW, tick=False):
        response = client.get(download_url(member=member, download=item))

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "This file is not available right now" in page
    assert "try again in a few minutes" in page
    assert not DownloadUse.objects.exists()  # nothing was downloaded, nothing counted
    access.refresh_from_db()
    assert access.first_used_at is None


def test_the_503_page_speaks_the_members_language(client, member_with_download, store_down):
    item, member, _access = member_with_download
    client.cookies["django_language"] = "de"

    with time_machine.travel(NOW, tick=False):
        response = client.get(download_url(member=member, download=item), HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 503
    assert "Diese Datei ist gerade nicht verfügbar" in response.content.decode()


def test_healthz_names_the_storage(client, store_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["storage"]}


def test_healthz_is_ok_when_the_bucket_answers(client, s3_bucket):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_names_a_bucket_that_does_not_exist(client, s3_bucket, settings):
    from tests.storage.conftest import s3_storages

    settings.STORAGES = s3_storages(
        settings, bucket_name="no-such-bucket", endpoint_url=s3_bucket.endpoint_url
    )

    assert client.get("/healthz").json() == {"status": "unavailable", "failing": ["storage"]}


def test_member_pages_render_while_the_store_is_down(client, member_with_download, store_down):
    item, _member, _access = member_with_download

    with time_machine.travel(NOW, tick=False):
        pages = {
            url: client.get(url).status_code
            for url in [
                reverse("members:dashboard"),
                item.product.get_absolute_url(),
                reverse("members:profile"),
                reverse("invoices:list"),
                reverse("products:catalog"),
            ]
        }

    assert set(pages.values()) == {200}, pages


def test_an_invoice_pdf_answers_503_not_500(client, store_down, django_capture_on_commit_callbacks):
    from invoices.services import issue_invoice_for_payment
    from tests.invoices.helpers import NOW as ISSUED_AT
    from tests.invoices.helpers import checkout_buyer, make_payment, make_seller

    make_seller()
    payment = make_payment()
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue_invoice_for_payment(payment=payment, now=ISSUED_AT, buyer=checkout_buyer())
    client.force_login(invoice.member)

    response = client.get(reverse("invoices:pdf", args=[invoice.number]))

    assert response.status_code == 503
    assert "This file is not available right now" in response.content.decode()
