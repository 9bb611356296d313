"""Where the creator gets the DATEV file: the admin's date-range form (staff with the DATEV
permission only) and ``manage.py datev_export``; and the seller settings that configure it."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from invoices.models import SellerSettings
from invoices.services import issue_invoice_for_payment
from tests.admin_forms import admin_form_data
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller

pytestmark = pytest.mark.django_db

DATEV = "/admin/invoices/document/datev/"
CHANGELIST = "/admin/invoices/document/"
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def invoiced():
    make_seller(datev_consultant_number=29098, datev_client_number=55003)
    buyer = checkout_buyer(name="Jürgen Weiß")
    issue_invoice_for_payment(payment=make_payment(amount=4900), now=NOW, buyer=buyer)


def test_the_admin_downloads_the_datev_file_of_a_range(creator_client, invoiced):
    listing = creator_client.get(CHANGELIST)
    response = creator_client.get(DATEV, MARCH)

    assert b"Export DATEV (date range)" in listing.content
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=windows-1252"
    assert response["Content-Disposition"] == (
        'attachment; filename="EXTF_Buchungsstapel_20260301_20260331.csv"'
    )
    lines = response.content.decode("cp1252").splitlines()
    assert lines[0].startswith('"EXTF";700;21;"Buchungsstapel";13;')
    assert '"creator@example.test"' in lines[0]
    assert lines[2].startswith(
        '49,00;"S";"EUR";;;;1360;8400;;1003;"RE-2026-000001";;;"Jürgen Weiß"'
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-04-01", "end": "2026-03-01"}, "The start date must not be after"),
        ({"start": "2025-12-01", "end": "2026-01-31"}, "one fiscal year and one calendar year"),
        ({"start": "yesterday", "end": "2026-03-31"}, "Enter a valid date."),
        ({"start": "2026-03-01"}, "This field is required."),
    ],
)
def test_the_form_explains_a_bad_range(creator_client, invoiced, query, message):
    response = creator_client.get(DATEV, query)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def test_the_form_names_missing_datev_numbers_and_links_the_settings(creator_client):
    make_seller()

    response = creator_client.get(DATEV, MARCH)

    page = response.content.decode()
    assert "Enter the DATEV consultant number and client number" in page
    assert 'href="/admin/invoices/sellersettings/"' in page


def test_the_form_opens_on_last_month_and_speaks_german(creator_client, invoiced, time_machine):
    time_machine.move_to("2026-05-14 10:00+02:00")

    response = creator_client.get(DATEV, HTTP_ACCEPT_LANGUAGE="de")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="2026-04-01"' in page
    assert 'value="2026-04-30"' in page
    assert "Nach DATEV exportieren" in page
    assert "DATEV-Datei herunterladen" in page


def test_staff_without_the_datev_permission_get_403_and_no_button(
    client, invoiced, django_user_model
):
    clerk = django_user_model.objects.create_user("clerk@example.test", "pw-clerk-1", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_document"))
    client.force_login(clerk)

    refused = client.get(DATEV, MARCH)
    listing = client.get(CHANGELIST)
    clerk.user_permissions.add(Permission.objects.get(codename="export_datev"))
    clerk = django_user_model.objects.get(pk=clerk.pk)  # permissions are cached per instance
    client.force_login(clerk)
    allowed = client.get(DATEV, MARCH)

    assert refused.status_code == 403
    assert b"Export DATEV" not in listing.content
    assert allowed.status_code == 200
    assert allowed.content.startswith(b'"EXTF";700;21;')


def test_visitors_are_sent_to_the_login(client, invoiced):
    response = client.get(DATEV, MARCH)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_command_writes_the_file_and_prints_its_path(invoiced, tmp_path):
    target = tmp_path / "march.csv"
    out = io.StringIO()

    call_command("datev_export", "--from", "2026-03-01", "--to", "2026-03-31",
                 "--output", str(target), stdout=out)  # fmt: skip

    assert out.getvalue().strip() == f"{target} (1 bookings)"
    assert target.read_bytes().startswith(b'"EXTF";700;21;"Buchungsstapel";13;')
    assert "Jürgen Weiß".encode("cp1252") in target.read_bytes()


def test_the_command_defaults_to_datevs_file_name(invoiced, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    call_command("datev_export", "--from", "2026-03-01", "--to", "2026-03-31", stdout=io.StringIO())

    assert (tmp_path / "EXTF_Buchungsstapel_20260301_20260331.csv").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "2026-03-32", "--to", "2026-03-31"], "Not a date (YYYY-MM-DD): '2026-03-32'"),
        (["--from", "2026-03-31", "--to", "2026-03-01"], "must not be after the end date"),
        (["--from", "2026-03-01", "--to", "2026-03-31", "--output", "/nonexistent/x.csv"],
         "Cannot write /nonexistent/x.csv"),
    ],
)  # fmt: skip
def test_the_command_refuses_bad_input_in_one_line(invoiced, arguments, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("datev_export", *arguments, stdout=io.StringIO())


def _settings_data(creator_client) -> tuple[SellerSettings, dict]:
    seller = make_seller()
    page = creator_client.get(f"/admin/invoices/sellersettings/{seller.pk}/change/")
    return seller, admin_form_data(page)


def test_the_settings_page_saves_a_datev_configuration(creator_client):
    seller, data = _settings_data(creator_client)
    data.update(
        datev_consultant_number="29098",
        datev_client_number="55003",
        datev_clearing_accounts='{"stripe": "10000"}',
        datev_revenue_accounts='{"19": "8400", "7,0": "8300", "0": "8338"}',
    )

    response = creator_client.post(f"/admin/invoices/sellersettings/{seller.pk}/change/", data)

    assert response.status_code == 302
    seller.refresh_from_db()
    assert seller.datev_consultant_number == 29098
    assert seller.datev_clearing_accounts == {"stripe": "10000"}
    assert seller.datev_revenue_accounts == {"19": "8400", "7,0": "8300", "0": "8338"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("datev_revenue_accounts", '{"19": "840"}', "“840” is not an account: use exactly 4"),
        ("datev_revenue_accounts", '{"nineteen": "8400"}', "“nineteen” is not a VAT rate"),
        ("datev_revenue_accounts", '{"19": "8400", "19.00": "8401"}', "19.00 appears twice."),
        ("datev_revenue_accounts", '{"19": 8400}', "The account for 19 must be a text in quotes."),
        ("datev_revenue_accounts", '["8400"]', "Enter an object that maps a VAT rate"),
        ("datev_revenue_accounts", "{19: 8400", "Enter a valid JSON."),
        ("datev_oss_accounts", '{"other": "83200"}', "use exactly 4 digits"),
        ("datev_clearing_account", "100000", "use 4 digits (or 5 for a debtor account)"),
        ("datev_export_account", "83a8", "“83a8” is not an account"),
        ("datev_consultant_number", "999", "greater than or equal to 1001"),
        ("datev_account_length", "9", "less than or equal to 8"),
    ],
)  # fmt: skip
def test_a_bad_datev_configuration_gets_a_clear_error(creator_client, field, value, message):
    seller, data = _settings_data(creator_client)
    data[field] = value

    response = creator_client.post(f"/admin/invoices/sellersettings/{seller.pk}/change/", data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert SellerSettings.objects.get().datev_revenue_accounts == {"19": "8400", "7": "8300"}


def test_the_invoice_csv_opens_in_german_excel(creator_client, invoiced):
    response = creator_client.get(
        "/admin/invoices/document/export/", MARCH, HTTP_ACCEPT_LANGUAGE="de"
    )

    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:4] == ["RE-2026-000001", "invoice", "2026-03-10", "Jürgen Weiß"]
    assert rows[1][6:10] == ["41,18", "19,00", "7,82", "49,00"]
