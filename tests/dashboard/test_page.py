"""The dashboard on the admin's home page, rendered from hand-built reports through the view's
seam (``dashboard.views.report_source``): who sees it, what it shows, in which language."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from branding.models import Branding
from dashboard import views
from dashboard.report import Now, Report
from tests.dashboard.hand_built import GENERATED_AT, realistic_report, small_report
from tests.dashboard.html_tables import body_rows, table_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture
def served(monkeypatch):
    """Serve ``served.report`` (a realistic one unless a test sets another); record the calls."""

    class Served:
        report = realistic_report()
        calls: list[dict] = []

    def source(**kwargs):
        Served.calls.append(kwargs)
        return Served.report

    monkeypatch.setattr(views, "report_source", source)
    return Served


def staff(*, with_permission: bool):
    user = UserFactory(is_staff=True)
    if with_permission:
        user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    return user


# --- who sees it ------------------------------------------------------------------------------


def test_a_superuser_sees_the_dashboard_above_the_model_list(creator_client, served):
    html = creator_client.get("/admin/").content.decode()

    assert 'class="dash"' in html
    assert html.index('id="dash-now"') < html.index('id="content-main"')
    assert "/admin/members/user/" in html  # the model list is still there
    assert served.calls[0]["months"] == 12
    assert (served.calls[0]["include_test"], served.calls[0]["currency"]) == (False, None)


def test_staff_with_the_permission_see_it(client, served):
    client.force_login(staff(with_permission=True))

    assert 'class="dash"' in client.get("/admin/").content.decode()


def test_staff_without_the_permission_see_the_stock_admin_home(client, served):
    client.force_login(staff(with_permission=False))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert 'class="dash"' not in response.content.decode()
    assert served.calls == []  # no figures computed for them either
    assert client.get("/admin/dashboard/months.csv").status_code == 404


def test_members_and_visitors_get_404_from_the_exports(client, served):
    assert client.get("/admin/dashboard/months.csv").status_code == 404
    client.force_login(UserFactory())
    assert client.get("/admin/dashboard/now.csv").status_code == 404
    assert client.get("/admin/").status_code == 302  # the admin's own login, as before
    assert served.calls == []


def test_an_unknown_export_is_404(creator_client, served):
    assert creator_client.get("/admin/dashboard/secrets.csv").status_code == 404


def test_the_permission_is_a_normal_admin_permission():
    permission = Permission.objects.get(codename="view_dashboard")

    assert permission.content_type.app_label == "dashboard"
    assert str(permission.name) == "Can see the revenue dashboard"


# --- filters ----------------------------------------------------------------------------------


def test_the_switch_and_the_currency_reach_the_report(creator_client, served):
    html = creator_client.get("/admin/?test=1&currency=usd").content.decode()

    assert (served.calls[0]["include_test"], served.calls[0]["currency"]) == (True, "USD")
    assert "/admin/dashboard/months.csv?test=1&amp;currency=usd" in html


def test_a_bad_currency_is_explained_and_ignored(creator_client, served):
    response = creator_client.get("/admin/?currency=%3Cscript%3E")

    assert response.status_code == 200
    assert "Enter a three-letter currency code such as EUR." in response.content.decode()
    assert served.calls[0]["currency"] is None
    assert "<script>" not in response.content.decode()


# --- what it shows ----------------------------------------------------------------------------


def test_now_shows_each_figure_with_one_column_per_currency(creator_client, served):
    html = creator_client.get("/admin/").content.decode()

    head = table_rows(html, "table-now")[:2]
    assert head == [["Figure", "Count", "Amount"], ["EUR", "USD"]]
    rows = body_rows(html, "table-now", head_rows=2)
    assert rows[0] == ["Active members", "318", "–", "–"]
    assert rows[1] == ["Paying subscriptions (MRR)", "104", "€2,850.00", "$740.00"]
    assert rows[2] == ["In a trial (MRR after the trial)", "7", "€203.00", "$0.00"]
    assert rows[3][1:] == ["5", "€145.00", "$29.00"]
    assert rows[4] == [
        "Renewals in the next 30 days (upcoming payouts)",
        "96",
        "€2,620.00",
        "$710.00",
    ]
    revenue = body_rows(html, "table-revenue", head_rows=2)
    assert revenue[0] == ["Gross (VAT included)", "€1,234.56", "$310.00", "€4,385.00", "$1,071.00"]
    assert [row[0] for row in revenue] == [
        "Gross (VAT included)",
        "Refunds",
        "Chargebacks",
        "VAT",
        "Net revenue",
    ]


def test_month_by_month_in_german(creator_client, served):
    served.report = small_report()

    html = creator_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    head, *rows = table_rows(html, "table-months")
    assert head == ["Monat", "Brutto", "Erstattungen", "Rückbuchungen", "USt", "Netto"]
    assert [row[0] for row in rows] == ["Oktober 2026", "November 2026", "Dezember 2026"]
    assert rows[1][1:] == [f"250,00{NBSP}€", f"0,00{NBSP}€", f"0,00{NBSP}€", f"0,00{NBSP}€",
                           f"200,00{NBSP}€"]  # fmt: skip
    head, *rows = table_rows(html, "table-members")
    assert head[5] == "Kündigungsrate"
    assert rows[1][1:] == [
        "0",
        "2",
        "1",
        "4",
        f"25,0{NBSP}%",
        f"1.234,56{NBSP}€",
        f"4.938,24{NBSP}€",
    ]
    assert rows[0][6:] == ["–", "–"]  # no ARPU or LTV without churn
    assert "LTV = ARPU / Kündigungsrate" in html


def test_month_names_and_money_in_dutch(creator_client, served):
    served.report = small_report()

    html = creator_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    rows = body_rows(html, "table-mrr")
    assert rows[2][:2] == ["december 2026", f"30,00{NBSP}€"]


def test_products_and_providers(creator_client, served):
    html = creator_client.get("/admin/").content.decode()

    products = body_rows(html, "table-products", head_rows=2)
    assert products[1] == [
        "Sauerteig für Anfänger",
        "Course",
        "€6,123.00",
        "$980.00",
        "131",
        "€247.00",
        "$49.00",
        "5",
        "3.8%",
        "118",
        "64",
    ]
    assert products[0][-2:] == ["–", "–"]  # started and finished are for courses only
    providers = body_rows(html, "table-providers", head_rows=2)
    assert [row[0] for row in providers] == ["Stripe", "Digistore24"]
    assert providers[1][1:3] == ["€4,054.00", "$0.00"]


def test_names_are_escaped(creator_client, served):
    html = creator_client.get("/admin/").content.decode()

    assert "Workbook &lt;PDF&gt; &amp; templates" in html
    assert "<PDF>" not in html


def test_the_admin_header_shows_the_brand(creator_client, served):
    Branding.objects.create(site_name="Sauerteig <Akademie>")

    html = creator_client.get("/admin/").content.decode()

    assert '<a href="/admin/">Sauerteig &lt;Akademie&gt;</a>' in html
    assert "| Sauerteig &lt;Akademie&gt;</title>" in html
    assert "Membership admin" not in html


def test_the_admin_login_page_shows_the_brand_too(client):
    Branding.objects.create(site_name="Harness Academy")

    assert "Harness Academy" in client.get("/admin/login/").content.decode()


# --- queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("report", [small_report, realistic_report])
def test_the_page_adds_a_fixed_number_of_queries(creator_client, served, report, warm_brand_cache):
    """The session and the user, then the admin's own model list (two singleton admins ask
    whether their row exists, for the list in the header and the one on the page); the brand
    comes from the cache and the figures from the report: nothing per month, product or row."""
    served.report = report()
    with CaptureQueriesContext(connection) as queries:
        response = creator_client.get("/admin/")
    assert response.status_code == 200
    tables = [query["sql"].split(" FROM ")[1].split()[0].strip('"') for query in queries]
    # The session is read from the database, or from Redis when the site has it.
    assert tables.count("django_session") <= 1
    assert [table for table in tables if table != "django_session"] == [
        "members_user",
        "invoices_sellersettings",
        "branding_branding",
        "invoices_sellersettings",
        "branding_branding",
    ]


def test_staff_with_the_permission_cost_their_permission_queries_only(
    client, served, warm_brand_cache, django_assert_max_num_queries
):
    client.force_login(staff(with_permission=True))
    with django_assert_max_num_queries(8):  # the above, their permissions and their groups'
        client.get("/admin/")


def test_a_new_site_without_sales_renders(creator_client, served):
    served.report = Report(
        generated_at=GENERATED_AT,
        time_zone="Europe/Berlin",
        currencies=[],
        include_test=False,
        now=Now(),
        months=[],
        products=[],
        providers=[],
    )

    response = creator_client.get("/admin/")

    assert response.status_code == 200
    assert body_rows(response.content.decode(), "table-products") == [["Nothing yet."]]
    assert creator_client.get("/admin/dashboard/products.csv").status_code == 200
    # The demo's orders are test mode: a new creator is pointed at the switch, not left with dashes.
    assert "No live sales yet." in response.content.decode()
    assert 'href="?test=1"' in response.content.decode()


@pytest.mark.parametrize("language", ["en", "de", "nl"])
def test_the_net_movement_note_uses_the_column_names(creator_client, served, language):
    """The note under the MRR table names its columns as the table heads do (a German creator
    read "Erweiterung" and "Verkleinerung" under columns headed "Upgrades" and "Downgrades")."""
    served.report = small_report()

    html = creator_client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    head = table_rows(html, "table-mrr")[0]
    with translation.override(language):
        note = gettext("Net movement = new + expansion + reactivation − contraction − churn.")
    assert note in html
    for column in head[2:7]:  # new, expansion, contraction, churn, reactivation
        assert column.lower() in note.lower(), column


@pytest.mark.parametrize("language", ["en", "de", "nl"])
def test_the_trial_card_says_trial_as_the_table_does(language):
    """ "0 im Test" beside the "test mode" switch read as test-mode orders; the card says
    "in a trial" in the words of the table's row."""
    with translation.override(language):
        card = gettext("%(trialing)s in a trial, %(cancelling)s cancelling") % {
            "trialing": 0,
            "cancelling": 0,
        }
        row = gettext("In a trial (MRR after the trial)")
    assert row.split(" (")[0].lower() in card.lower()
