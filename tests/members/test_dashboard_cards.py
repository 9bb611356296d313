"""The dashboard's product cards (issue 20): written by ``{% product_card %}``, the same markup
the template's card wrote, for every state a member's product can be in, in each language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from members.models import AccessGrant
from members.selectors import DashboardItem
from tests.factories import CourseFactory, ProductFactory
from tests.members.helpers import BOUGHT_AT, make_member
from tests.members.test_outline_cache import progress_cases

pytestmark = pytest.mark.django_db
# ``members/dashboard.html``'s loop over the cards before issue 20 (progress and "Continue"
# were already tags, tested against their own old templates).
OLD_CARDS = (
    "{% for item in items %}\n"
    '  <article class="card product-card{% if item.opens_at %} pending{% elif not'
    ' item.is_live %} ended{% endif %}" data-product="{{ item.product.slug }}">\n'
    '    <h2>{% if item.is_live %}<a href="{{ item.url }}">{{ item.product.name'
    " }}</a>{% else %}{{ item.product.name }}{% endif %}</h2>\n"
    '    <p class="muted state">\n'
    "      {% if item.included_by and item.is_live %}{% blocktranslate with"
    " name=item.included_by.name %}Included in {{ name }}{% endblocktranslate %}\n"
    '      {% elif item.state == "active" and item.is_complimentary %}{% if'
    " item.ends_at %}{% blocktranslate with"
    ' date=item.grant.paid_through|date:"DATE_FORMAT" %}Complimentary, until {{ date'
    ' }}{% endblocktranslate %}{% else %}{% translate "Complimentary" %}{% endif %}\n'
    '      {% elif item.state == "active" %}{% if item.ends_at %}{% blocktranslate'
    ' with date=item.grant.paid_through|date:"DATE_FORMAT" %}Active, paid through {{'
    ' date }}{% endblocktranslate %}{% else %}{% translate "Active" %}{% endif %}\n'
    '      {% elif item.state == "grace" %}{% blocktranslate with'
    ' date=item.ends_at|date:"DATE_FORMAT" %}Payment due: access until {{ date }}{%'
    " endblocktranslate %}\n"
    "      {% elif item.opens_at %}{% blocktranslate with"
    ' date=item.opens_at|date:"DATE_FORMAT" %}Opens on {{ date }}{%'
    " endblocktranslate %}\n"
    '      {% elif item.state == "pending" %}{% translate "Waiting for payment" %}\n'
    '      {% else %}{% translate "Ended" %}{% if item.grant.ended_at %} · {{'
    ' item.grant.ended_at|date:"DATE_FORMAT" }}{% endif %}{% endif %}\n'
    "    </p>\n"
    "    {% if item.course %}\n"
    "      {% course_progress item.course item.product %}\n"
    "      {% course_continue item.course item.product %}\n"
    "    {% endif %}\n"
    '    {% if not item.is_live and item.state != "pending" %}\n'
    '      <p><a class="button" href="{{ item.product.get_catalog_url }}">{%'
    ' translate "Buy again" %}</a></p>\n'
    "    {% endif %}\n"
    "  </article>\n"
    "{% empty %}\n"
    '  <p>{% translate "You have no products yet." %} <a href="{% url'
    ' \'products:catalog\' %}">{% translate "Browse the catalog" %}</a></p>\n'
    "{% endfor %}"
)
DASHBOARD = Path(__file__).resolve().parents[2] / "members/templates/members/dashboard.html"


def new_cards() -> str:
    text = DASHBOARD.read_text()
    start = text.index("{% for item in items %}")
    end = text.index("{% endfor %}", text.index("{% empty %}")) + len("{% endfor %}")
    return text[start:end]


def items() -> list[DashboardItem]:
    member, course = make_member(), CourseFactory(name="Ada's <Course>")
    other = ProductFactory(name="Downloads & more", slug="downloads")
    tier = ProductFactory(name="Gold <tier>", slug="gold", kind="membership")
    paid = BOUGHT_AT + timedelta(days=30)
    progress = progress_cases(_outline_items(course))

    def item(state, *, product=other, course_progress=None, **grant_fields):
        grant = AccessGrant(member=member, product=product, state=grant_fields.pop("grant_state",
                            state), starts_at=BOUGHT_AT, **grant_fields)  # fmt: skip
        ends_at = grant.paid_through + timedelta(days=3) if grant.paid_through else None
        return DashboardItem(product, grant, state, ends_at, course_progress)

    included = item("active", product=course, course_progress=progress[1])
    included.grant.included_by = AccessGrant(member=member, product=tier, state="active")
    return [
        item("active", product=course, course_progress=progress[0], paid_through=paid),
        item("active", product=course, course_progress=progress[3]),
        item("active", source="complimentary", paid_through=paid),
        item("active", source="complimentary"),
        item("grace", paid_through=paid),
        item("pending", withheld_until=BOUGHT_AT + timedelta(days=14)),
        item("pending"),
        item("expired", paid_through=paid, ended_at=paid + timedelta(days=3)),
        item("revoked", grant_state="revoked"),
        included,
    ]


def _outline_items(course):
    from products.models import Lesson, Module, Product
    from products.outline import course_outline

    module = Module.objects.create(product=course, title="M", position=1)
    Lesson.objects.bulk_create(
        Lesson(module=module, title=f"<L{number}>", position=number) for number in range(3)
    )
    return course_outline(Product.objects.get(pk=course.pk)).lessons


@pytest.mark.parametrize("language", ["en", "de", "nl"])
def test_the_card_tag_writes_what_the_old_card_template_wrote(language):
    cards = items()
    old = Template("{% load i18n member_pages %}" + OLD_CARDS)
    new = Template("{% load i18n member_pages %}" + new_cards())
    with translation.override(language), timezone.override("America/Los_Angeles"):
        for case in [cards, cards[:1], []]:
            assert new.render(Context({"items": case})) == old.render(Context({"items": case}))
