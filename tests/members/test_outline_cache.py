"""Member pages read a course's outline from a per-process cache (issue 20): every way a
creator changes a course shows on the member's next request, and nothing about one member (or
one moment) is ever served to another."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django import forms
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from members.access import LessonState
from members.forms import ProfileForm, TimeZoneSelect
from members.selectors import LessonRow
from products.models import Lesson, LessonAttachment, Module, Product
from products.outline import course_outline
from tests.admin_forms import admin_form_data
from tests.factories import CourseFactory, LessonFactory, ModuleFactory
from tests.members.helpers import BOUGHT_AT, grant, make_course, make_member

pytestmark = pytest.mark.django_db
NOW = BOUGHT_AT + timedelta(days=1)  # lesson 1 (day 0) open, lessons 2 and 3 (days 3, 6) locked


@pytest.fixture
def setup():
    """A member holding the three-lesson course, with a warm outline cache."""
    course = make_course()
    member = make_member()
    grant(member, course.product)
    member_client = Client()
    member_client.force_login(member)
    page = outline_page(member_client, course.product)
    assert "Lesson 1" in page
    return course, member_client


def outline_page(member_client, product: Product, at=NOW) -> str:
    product.refresh_from_db()
    with time_machine.travel(at, tick=False):
        response = member_client.get(product.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def lesson_page(member_client, lesson: Lesson, at=NOW) -> str:
    lesson.refresh_from_db()
    with time_machine.travel(at, tick=False):
        response = member_client.get(lesson.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def row_of(page: str, lesson: Lesson) -> str:
    return page.split(f'id="lesson-row-{lesson.pk}"', 1)[1].split("</li>", 1)[0]


def titles_in_order(page: str, lessons: list[Lesson]) -> list[str]:
    return sorted((page.index(f'id="lesson-row-{item.pk}"'), item.title) for item in lessons)


# --- through the admin ---------------------------------------------------------------------------


def admin_post(creator_client, url: str, **changes) -> None:
    data = admin_form_data(creator_client.get(url))
    data.update(changes)
    response = creator_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_lesson_text_and_title_edited_in_the_admin_show_on_the_next_request(
    setup, creator_client
):
    course, member_client = setup
    lesson = course.lessons[0]
    assert "Secret body 1" in lesson_page(member_client, lesson)

    url = reverse("admin:products_lesson_change", args=[lesson.pk])
    admin_post(creator_client, url, title="Renamed", body="<p>New words</p><script>x()</script>")

    page = lesson_page(member_client, lesson)
    assert "New words" in page
    assert "Secret body 1" not in page
    assert "<script>x()" not in page
    assert ">Renamed</a>" in row_of(page, lesson)  # the outline beside it too


def test_drip_days_changed_in_the_admin_open_a_lesson_on_the_next_request(setup, creator_client):
    course, member_client = setup
    lesson = course.lessons[1]
    assert "locked" in row_of(outline_page(member_client, course.product), lesson)

    url = reverse("admin:products_lesson_change", args=[lesson.pk])
    admin_post(creator_client, url, drip_days="0")

    row = row_of(outline_page(member_client, course.product), lesson)
    assert "open" in row
    assert "locked" not in row
    assert "Secret body 2" in lesson_page(member_client, lesson)


def test_a_module_renamed_in_the_admin_shows_on_the_next_request(setup, creator_client):
    course, member_client = setup
    module = course.lessons[0].module
    url = reverse("admin:products_module_change", args=[module.pk])
    admin_post(creator_client, url, title="Week zero")

    page = outline_page(member_client, course.product)
    assert "<h3>Week zero</h3>" in page
    assert "Week one" not in page


def test_a_lesson_edited_in_the_module_admin_inline_shows_on_the_next_request(
    setup, creator_client
):
    course, member_client = setup
    module = course.lessons[0].module
    url = reverse("admin:products_module_change", args=[module.pk])
    admin_post(creator_client, url, **{"lessons-2-drip_days": "0", "lessons-0-title": "First!"})

    page = outline_page(member_client, course.product)
    assert "First!" in row_of(page, course.lessons[0])
    assert "open" in row_of(page, course.lessons[2])


def test_a_product_slug_changed_in_the_admin_moves_the_lesson_links(setup, creator_client):
    course, member_client = setup
    url = reverse("admin:products_product_change", args=[course.product.pk])
    admin_post(creator_client, url, slug="renamed-course")

    page = outline_page(member_client, course.product)
    assert f'href="/members/courses/renamed-course/lessons/{course.lessons[0].pk}/"' in page


def test_the_order_saved_in_the_course_builder_shows_on_the_next_request(setup, creator_client):
    course, member_client = setup
    one, two, three = course.lessons
    module = one.module
    body = json.dumps({"modules": [module.pk], "lessons": {module.pk: [three.pk, one.pk, two.pk]}})
    url = reverse("admin:products_product_builder_order", args=[course.product.pk])
    response = creator_client.post(url, body, content_type="application/json")
    assert response.status_code == 200

    page = outline_page(member_client, course.product)
    assert [title for _at, title in titles_in_order(page, course.lessons)] == [
        "Lesson 3", "Lesson 1", "Lesson 2",
    ]  # fmt: skip


def test_a_lesson_added_in_the_course_builder_shows_on_the_next_request(setup, creator_client):
    course, member_client = setup
    module = course.lessons[0].module
    url = reverse("admin:products_product_builder", args=[course.product.pk])
    response = creator_client.post(
        url,
        {"add_lesson": "1", "lesson-module": str(module.pk), "lesson-title": "Bonus",
         "lesson-drip_days": "0"},
    )  # fmt: skip
    assert response.status_code == 302

    assert "Bonus" in outline_page(member_client, course.product)


# --- bulk edits and raw SQL ----------------------------------------------------------------------


def test_bulk_edits_of_lessons_show_on_the_next_request(setup):
    course, member_client = setup
    one, two, three = course.lessons

    Lesson.objects.filter(pk=two.pk).update(drip_days=0, title="Opened in bulk")
    page = outline_page(member_client, course.product)
    assert "open" in row_of(page, two)
    assert ">Opened in bulk</a>" in row_of(page, two)

    one.position, three.position = 9, 0
    Lesson.objects.bulk_update([one, three], ["position"])
    order = [title for _at, title in titles_in_order(outline_page(member_client, course.product),
                                                      [one, three])]  # fmt: skip
    assert order == ["Lesson 3", "Lesson 1"]

    Lesson.objects.bulk_create([Lesson(module=one.module, title="Bulk-made", position=20)])
    assert "Bulk-made" in outline_page(member_client, course.product)

    Lesson.objects.filter(pk=three.pk).delete()
    assert "Lesson 3" not in outline_page(member_client, course.product)


def test_bulk_edits_of_modules_and_raw_sql_show_on_the_next_request(setup):
    course, member_client = setup
    lesson = course.lessons[0]
    Module.objects.filter(pk=lesson.module_id).update(title="Bulk module")
    assert "<h3>Bulk module</h3>" in outline_page(member_client, course.product)

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Lesson._meta.db_table} SET title = %s WHERE id = %s",  # noqa: S608
            ["Raw title", lesson.pk],
        )
    assert ">Raw title</a>" in row_of(outline_page(member_client, course.product), lesson)


def test_a_lesson_moved_to_another_course_leaves_both_outlines_right(setup):
    course, member_client = setup
    other = make_course(days=(0,))
    assert len(course_outline(Product.objects.get(pk=other.product.pk)).lessons) == 1  # cached
    moved = course.lessons[0]
    Lesson.objects.filter(pk=moved.pk).update(module=other.lessons[0].module)

    assert f'id="lesson-row-{moved.pk}"' not in outline_page(member_client, course.product)
    assert Lesson.objects.get(pk=moved.pk).module.product == other.product
    outline = course_outline(Product.objects.get(pk=other.product.pk))
    assert {item.pk for item in outline.lessons} == {other.lessons[0].pk, moved.pk}


def test_a_file_added_to_a_lesson_shows_on_its_next_view(setup):
    course, member_client = setup
    lesson = course.lessons[0]
    assert "Files for this lesson" not in lesson_page(member_client, lesson)

    LessonAttachment.objects.create(lesson=lesson, title="Workbook", file="lesson-files/w.pdf")

    assert "Workbook" in lesson_page(member_client, lesson)


def test_a_product_saved_from_a_stale_copy_still_gets_a_new_version():
    product = CourseFactory()
    stale = Product.objects.get(pk=product.pk)
    ModuleFactory(product=product)  # moves the version on
    moved = Product.objects.get(pk=product.pk).outline_version
    assert moved > stale.outline_version

    stale.save()  # writes the old version back: the database moves it on regardless

    assert Product.objects.get(pk=product.pk).outline_version > moved


# --- nothing member- or time-specific is cached -------------------------------------------------


def test_two_members_with_different_starts_see_their_own_lock_states(setup):
    course, member_client = setup
    later = make_member()
    grant(later, course.product, starts_at=BOUGHT_AT + timedelta(days=5))
    later_client = Client()
    later_client.force_login(later)
    at = BOUGHT_AT + timedelta(days=6, hours=12)

    early_page = outline_page(member_client, course.product, at=at)
    later_page = outline_page(later_client, course.product, at=at)

    assert "open" in row_of(early_page, course.lessons[2])  # day 6 of 6.5
    assert "locked" in row_of(later_page, course.lessons[1])  # day 3 of 1.5
    assert "locked" not in row_of(early_page, course.lessons[1])


def test_a_lesson_opens_at_its_time_though_the_outline_is_cached(setup):
    course, member_client = setup
    lesson = course.lessons[1]  # day 3, Berlin midnight
    opens = timezone.localtime(BOUGHT_AT).replace(hour=0, minute=0) + timedelta(days=3)

    before = outline_page(member_client, course.product, at=opens - timedelta(seconds=1))
    after = outline_page(member_client, course.product, at=opens + timedelta(seconds=1))

    assert "locked" in row_of(before, lesson)
    assert "locked" not in row_of(after, lesson)


# --- the same markup as before ------------------------------------------------------------------

# ``members/_outline_item.html`` before issue 20 (an include per row), kept to prove the tag that
# replaced it writes the same markup.
OLD_OUTLINE_ITEM = (
    '{% load i18n %}<li id="lesson-row-{{ row.lesson.pk }}" class="lesson-row {% if row.is_done %}'
    "done{% elif row.state.is_open %}open{% elif row.state.is_locked %}locked{% else %}no-access"
    '{% endif %}{% if current and row.lesson.pk == current.pk %} current{% endif %}" '
    'data-lesson="{{ row.lesson.pk }}"{% if oob %} hx-swap-oob="true"{% endif %}{% if current '
    'and row.lesson.pk == current.pk %} aria-current="page"{% endif %}>\n      '
    '{% if row.state.is_open %}<a href="{{ row.lesson.get_absolute_url }}">{{ row.lesson.title }}'
    "</a>{% else %}<span>{{ row.lesson.title }}</span>{% endif %}\n      "
    '<small class="lesson-state">{% if row.is_done %}<span aria-hidden="true">✓ </span>'
    '{% translate "done" %}{% elif row.state.is_preview %}{% translate "free preview" %}'
    '{% elif row.state.is_open %}{% translate "open" %}{% elif row.state.is_locked %}'
    '{% include "members/_opens_on.html" with opens_at=row.state.opens_at %}{% else %}'
    '{% translate "not included" %}{% endif %}</small>\n    </li>'
)


@pytest.mark.parametrize("language", ["en", "de", "nl"])
def test_the_outline_row_tag_writes_what_the_old_template_wrote(language):
    product = CourseFactory(slug="tag-check")
    lesson = LessonFactory(module=ModuleFactory(product=product), title="<Fish & chips>")
    item = course_outline(Product.objects.get(pk=product.pk)).lessons[0]
    opens_at = BOUGHT_AT + timedelta(days=3)
    states = [
        LessonState("open"), LessonState("open", is_preview=True), LessonState("no_access"),
        LessonState("locked", opens_at=opens_at),
    ]  # fmt: skip
    new = Template("{% load member_pages %}{% outline_item row current oob %}")
    old = Template(OLD_OUTLINE_ITEM)
    with translation.override(language), timezone.override("Asia/Tokyo"):
        for state in states:
            for is_done in (False, True):
                for current, oob in ((None, False), (lesson, True), (LessonFactory(), False)):
                    row = LessonRow(lesson=item, state=state, is_done=is_done, last_viewed_at=None)
                    context = {"row": row, "current": current, "oob": oob}
                    assert new.render(Context(context)) == old.render(Context(context))


# ``members/_outline.html`` before the whole outline became one tag, with the row as above.
OLD_OUTLINE = (
    '{% load i18n %}<nav class="outline" aria-label="{% translate \'Course outline\' %}">\n'
    "{% for module_row in course.modules %}\n  <h3>{{ module_row.module.title }}</h3>\n"
    '  <ol class="lessons">\n  {% for row in module_row.lessons %}\n    '
    + OLD_OUTLINE_ITEM.removeprefix("{% load i18n %}")
    + "\n  {% endfor %}\n  </ol>\n{% endfor %}\n</nav>\n"
)


@pytest.mark.parametrize("language", ["en", "de", "nl"])
def test_the_outline_tag_writes_what_the_old_template_wrote(language):
    from members.selectors import CourseProgress, ModuleRow

    product = CourseFactory(slug="outline-check")
    first, second = ModuleFactory(product=product, title="A & B"), ModuleFactory(product=product)
    lessons = [LessonFactory(module=module, title=f"<L{n}> & co") for n, module in
               enumerate([first, first, second, second, second])]  # fmt: skip
    items = course_outline(Product.objects.get(pk=product.pk)).lessons
    opens_at = BOUGHT_AT + timedelta(days=3)
    states = [
        LessonState("open"), LessonState("open", is_preview=True), LessonState("no_access"),
        LessonState("locked", opens_at=opens_at), LessonState("locked", opens_at=opens_at),
    ]  # fmt: skip
    rows = [
        LessonRow(lesson=item, state=state, is_done=number == 0, last_viewed_at=None)
        for number, (item, state) in enumerate(zip(items, states, strict=True))
    ]
    modules = [ModuleRow(items[0].module, rows[:2]), ModuleRow(items[2].module, rows[2:])]
    course = CourseProgress(rows, modules, 1, 5, None, None)
    new = Template("{% load member_pages %}{% course_outline course current %}\n")
    old = Template(OLD_OUTLINE)
    with translation.override(language), timezone.override("Asia/Tokyo"):
        for current in (None, lessons[1], lessons[3]):
            context = {"course": course, "current": current}
            assert new.render(Context(context)) == old.render(Context(context))
        marked = new.render(Context({"course": course, "current": lessons[3]}))
    assert marked.count('aria-current="page"') == 1


# ``members/_progress.html`` and ``members/_continue.html`` (with ``_opens_on.html`` inlined) before
# they became tags.
OLD_PROGRESS = (
    '{% load i18n %}<div class="course-progress" id="course-progress-{{'
    ' course_product.pk }}"{% if oob %} hx-swap-oob="true"{% endif %}>\n'
    '  <progress value="{{ progress.percent }}" max="100" aria-label="{% translate'
    " 'Course progress' %}\"></progress>\n"
    '  <p class="progress-text"><small>{% blocktranslate with done=progress.done'
    " total=progress.total percent=progress.percent %}{{ done }} of {{ total }}"
    " lessons done ({{ percent }}%){% endblocktranslate %}</small></p>\n"
    "</div>\n"
)
OLD_CONTINUE = (
    '{% load i18n %}{# "Continue" for a course: the first open lesson not done yet,'
    " else what opens next. #}\n"
    '<div class="course-continue" id="course-continue-{{ course_product.pk }}">\n'
    "{% if course.continue_row %}\n"
    '  <p><a role="button" href="{{ course.continue_row.lesson.get_absolute_url'
    ' }}">{% blocktranslate with title=course.continue_row.lesson.title %}Continue:'
    " {{ title }}{% endblocktranslate %}</a></p>\n"
    "{% elif course.next_opening %}\n"
    '  <p class="up-to-date">{% translate "You have done every open lesson." %}</p>\n'
    "{% elif course.total and course.done == course.total %}\n"
    '  <p class="course-finished">{% translate "You have finished this course."'
    " %}</p>\n"
    "{% endif %}\n"
    "{% if course.next_opening %}\n"
    '  <p class="next-opening">{% blocktranslate with'
    " title=course.next_opening.lesson.title %}Next lesson: {{ title }}{%"
    " endblocktranslate %} · {% with opens_at=course.next_opening.state.opens_at"
    ' %}{% blocktranslate with date=opens_at|date:"MONTH_DAY_FORMAT" %}opens on {{'
    " date }}{% endblocktranslate %}{% endwith %}</p>\n"
    "{% endif %}\n"
    "</div>\n"
)


def progress_cases(items):
    """Courses in every state the dashboard and the outline show: just started, half done with
    a lesson to open, every open lesson done, finished, empty."""
    from members.selectors import CourseProgress

    opens_at = BOUGHT_AT + timedelta(days=3)
    done = LessonRow(lesson=items[0], state=LessonState("open"), is_done=True, last_viewed_at=None)
    todo = LessonRow(lesson=items[1], state=LessonState("open"), is_done=False, last_viewed_at=None)
    locked = LessonRow(
        lesson=items[2], state=LessonState("locked", opens_at=opens_at), is_done=False,
        last_viewed_at=None,
    )  # fmt: skip
    return [
        CourseProgress([todo, locked], [], 0, 2, todo, locked),
        CourseProgress([done, todo, locked], [], 1, 3, todo, locked),
        CourseProgress([done, locked], [], 1, 2, None, locked),
        CourseProgress([done], [], 1, 1, None, None),
        CourseProgress([], [], 0, 0, None, None),
        CourseProgress([todo], [], 0, 1, todo, None),
    ]


@pytest.mark.parametrize("language", ["en", "de", "nl"])
def test_the_progress_and_continue_tags_write_what_the_old_templates_wrote(language):
    product = CourseFactory(slug="progress-check")
    module = ModuleFactory(product=product)
    for number in range(3):
        LessonFactory(module=module, title=f"<L{number}> & co", position=number)
    items = course_outline(Product.objects.get(pk=product.pk)).lessons
    pairs = [
        ("{% load member_pages %}{% course_progress progress course_product oob %}", OLD_PROGRESS),
        ("{% load member_pages %}{% course_continue course course_product %}", OLD_CONTINUE),
    ]
    with translation.override(language), timezone.override("Asia/Tokyo"):
        for course in progress_cases(items):
            for oob in (False, True):
                context = {
                    "progress": course,
                    "course": course,
                    "course_product": product,
                    "oob": oob,
                }
                for new, old in pairs:
                    assert Template(new).render(Context(context)) == Template(old).render(
                        Context(context)
                    )


@pytest.mark.parametrize("value", ["Europe/Berlin", "America/Los_Angeles", "Nowhere/Else", None])
def test_the_time_zone_select_writes_what_djangos_select_wrote(value):
    field = ProfileForm.base_fields["time_zone"]
    fast = TimeZoneSelect(choices=field.choices).render("time_zone", value, {"id": "id_tz"})
    fast_again = TimeZoneSelect(choices=field.choices).render("time_zone", value, {"id": "id_tz"})
    plain = forms.Select(choices=field.choices).render("time_zone", value, {"id": "id_tz"})
    assert fast == fast_again == plain
    assert fast.count(" selected") == (1 if value in dict(field.choices) else 0)


# --- sanitized once, when saved -----------------------------------------------------------------


def test_a_lesson_body_is_sanitized_when_saved_by_every_write_path():
    module = ModuleFactory()
    hostile = "<p>Hi</p><script>steal()</script>"
    saved = LessonFactory(module=module, body=hostile)
    [bulk] = Lesson.objects.bulk_create([Lesson(module=module, title="B", body=hostile)])
    updated = LessonFactory(module=module)
    Lesson.objects.filter(pk=updated.pk).update(body=hostile)
    bulk.body = "<p>Bye</p><script>x()</script>"
    Lesson.objects.bulk_update([bulk], ["body"])

    assert Lesson.objects.get(pk=saved.pk).body_html == "<p>Hi</p>"
    assert Lesson.objects.get(pk=updated.pk).body_html == "<p>Hi</p>"
    assert Lesson.objects.get(pk=bulk.pk).body_html == "<p>Bye</p>"
    unknown = Lesson.objects.get(pk=saved.pk)
    unknown.body_html = None  # e.g. a row written by raw SQL: sanitized when shown instead
    assert unknown.body_clean == "<p>Hi</p>"


def test_an_opening_label_follows_the_members_zone_and_language_though_formatted_once():
    from members.templatetags.member_pages import opens_on

    at = BOUGHT_AT.replace(hour=23)  # 1 Nov 23:00 UTC: 2 Nov in Tokyo, 1 Nov in Los Angeles
    template = Template('{% include "members/_opens_on.html" %}')
    cases = [("Asia/Tokyo", "en"), ("America/Los_Angeles", "en"), ("Asia/Tokyo", "de"),
             ("America/Los_Angeles", "nl"), ("Asia/Tokyo", "nl")]  # fmt: skip
    for _ in range(2):  # the second round comes from the cache
        for zone, language in cases:
            with translation.override(language), timezone.override(zone):
                assert opens_on(at) == template.render(Context({"opens_at": at}))
    with translation.override("en"), timezone.override("Asia/Tokyo"):
        assert opens_on(at) == "opens on 2 Nov"
