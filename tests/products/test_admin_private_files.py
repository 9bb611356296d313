"""Private files in the admin: a product with downloads opens, and its file is reachable through
a signed link for staff only (private files have no public URL)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse

from invoices.delivery import ensure_document_pdf
from invoices.models import Document
from invoices.services import issue_invoice_for_payment
from products.models import Download, Product
from tests.admin_forms import admin_form_data
from tests.factories import DownloadFactory, ProductFactory, UserFactory
from tests.invoices.helpers import NOW, make_payment, make_seller

pytestmark = pytest.mark.django_db

FILE_LINK = re.compile(r'href="(/admin/private-file/[^"]+)"')


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def workbook():
    product = ProductFactory(kind=Product.Kind.DOWNLOAD, name="Workbook")
    return DownloadFactory(product=product, title="The workbook")


def file_link(response) -> str:
    (link,) = FILE_LINK.findall(response.content.decode())
    return link.replace("&amp;", "&")


def test_a_product_with_a_download_opens_and_shows_the_file_with_a_link(creator_client, workbook):
    page = creator_client.get(change_url(workbook.product))

    assert page.status_code == 200
    assert ">workbook.pdf</a>" in page.content.decode()
    download = creator_client.get(file_link(page))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test file"
    assert download["Content-Disposition"].startswith("attachment;")
    assert {"private", "no-store"} <= set(download["Cache-Control"].split(", "))


def test_saving_the_product_without_a_new_upload_keeps_the_file(creator_client, workbook):
    data = admin_form_data(creator_client.get(change_url(workbook.product)))
    data["name"] = "Workbook, second edition"

    response = creator_client.post(change_url(workbook.product), data)

    assert response.status_code == 302
    workbook.refresh_from_db()
    assert workbook.product.name == "Workbook, second edition"
    assert workbook.file.read() == b"%PDF-1.4 test file"


def test_the_file_link_is_refused_to_members_anonymous_and_staff_without_permission(
    client, creator_client, workbook
):
    link = file_link(creator_client.get(change_url(workbook.product)))
    client.logout()

    anonymous = client.get(link)
    client.force_login(UserFactory(email="member@x.test"))
    member = client.get(link)
    client.force_login(UserFactory(email="helper@x.test", is_staff=True))
    staff_without_permission = client.get(link)

    assert anonymous.status_code == member.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    assert member["Location"].startswith("/admin/login/")
    assert staff_without_permission.status_code == 403


def test_staff_who_may_view_downloads_get_the_file(client, creator_client, workbook):
    link = file_link(creator_client.get(change_url(workbook.product)))
    helper = UserFactory(email="helper@x.test", is_staff=True)
    helper.user_permissions.add(Permission.objects.get(codename="view_download"))
    client.force_login(helper)

    assert client.get(link).status_code == 200


def test_a_tampered_link_finds_nothing(creator_client, workbook):
    link = file_link(creator_client.get(change_url(workbook.product)))
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = link.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))

    assert creator_client.get(forged).status_code == 404


def test_the_demo_products_all_open_in_the_admin(client, settings):
    settings.DEBUG = True  # seed_demo runs on a development site
    call_command("seed_demo", verbosity=0)
    client.login(email="creator@example.com", password="demo-creator-2026")

    statuses = {p.slug: client.get(change_url(p)).status_code for p in Product.objects.all()}

    assert Download.objects.filter(product__slug="calm-money-workbook").exists()
    assert set(statuses.values()) == {200}, statuses


def test_the_invoice_page_links_its_pdf_for_staff_only(client, creator_client):
    make_seller()
    document = issue_invoice_for_payment(payment=make_payment(amount=4900), now=NOW)
    ensure_document_pdf(document=document, now=NOW)

    page = creator_client.get(change_url(Document.objects.get(pk=document.pk)))

    assert page.status_code == 200
    assert f"{document.number}.pdf" in page.content.decode()
    pdf = creator_client.get(file_link(page))
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    client.force_login(UserFactory(email="buyer@x.test"))
    assert client.get(file_link(page)).status_code == 302
