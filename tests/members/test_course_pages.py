"""Course outline and lesson pages: states, locked content, errors, completion, first use."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from members.models import AccessGrant, GrantEvent, LessonProgress
from tests.factories import CourseFactory, LessonFactory, ModuleFactory
from tests.members.helpers import BOUGHT_AT, grant, make_course, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought(client):
    course = make_course()
    member = make_member(time_zone="Europe/Berlin", language="en")
    access = grant(member, course.product)
    client.force_login(member)
    return course, member, access


def lesson_url(course, number):
    return course.lessons[number - 1].get_absolute_url()


@time_machine.travel(BOUGHT_AT + timedelta(hours=1), tick=False)
def test_outline_shows_lesson_one_open_and_the_others_locked_with_their_dates(client, bought):
    course, _member, _access = bought

    page = client.get(course.product.get_absolute_url()).content.decode()

    assert 'class="lesson-row open' in page
    assert "opens on 4 Nov" in page  # day 3, Berlin
    assert "opens on 7 Nov" in page  # day 6
    assert f'href="{lesson_url(course, 1)}"' in page
    assert f'href="{lesson_url(course, 2)}"' not in page


def test_dates_follow_the_members_zone_and_language(client):
    course = make_course()
    member = make_member(time_zone="Asia/Tokyo", language="de")
    # 28 Nov 20:00 UTC is already 29 Nov 05:00 in Tokyo: lesson 2 opens 2 Dec 00:00 JST.
    grant(member, course.product, starts_at=datetime(2025, 11, 28, 20, 0, tzinfo=UTC))
    client.force_login(member)

    with time_machine.travel(datetime(2025, 11, 28, 21, 0, tzinfo=UTC), tick=False):
        page = client.get(lesson_url(course, 2)).content.decode()

    assert '<html lang="de"' in page
    assert "am 2. Dezember 2025 um 00:00" in page  # German words and format, Tokyo midnight


@time_machine.travel(BOUGHT_AT + timedelta(hours=1), tick=False)
def test_a_locked_lesson_shows_its_date_and_none_of_its_content(client, bought):
    course, _member, _access = bought

    response = client.get(lesson_url(course, 2))
    page = response.content.decode()

    assert response.status_code == 200
    assert "This lesson opens on 4 Nov 2025 at 00:00 (your time)." in page
    assert "Secret body 2" not in page
    assert not LessonProgress.objects.filter(lesson=course.lessons[1]).exists()


@time_machine.travel(BOUGHT_AT + timedelta(days=3), tick=False)
def test_moving_the_clock_opens_lesson_two(client, bought):
    course, _member, _access = bought

    page = client.get(lesson_url(course, 2)).content.decode()

    assert "<p>Secret body 2</p>" in page


@time_machine.travel(BOUGHT_AT + timedelta(hours=1), tick=False)
def test_an_open_lesson_shows_sanitized_body_video_and_neighbours(client, bought):
    course, member, _access = bought
    lesson = course.lessons[0]
    lesson.body = '<p onclick="steal()">Hi<script>alert(1)</script></p>'
    lesson.video_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    lesson.save()

    page = client.get(lesson_url(course, 1)).content.decode()

    assert "<p>Hi</p>" in page
    assert "<script>alert" not in page
    assert "steal()" not in page
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page
    assert f'rel="next" href="{lesson_url(course, 2)}"' in page
    assert 'rel="prev"' not in page


@time_machine.travel(BOUGHT_AT + timedelta(hours=1), tick=False)
def test_a_video_from_a_host_not_on_the_allow_list_is_not_embedded(client, bought):
    course, _member, _access = bought
    course.lessons[0].video_url = "https://evil.example/embed/x"
    course.lessons[0].save()

    page = client.get(lesson_url(course, 1)).content.decode()

    assert "<iframe" not in page
    assert "evil.example" not in page


def test_a_visitor_is_sent_to_login(client):
    course = make_course()

    response = client.get(lesson_url(course, 1))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={lesson_url(course, 1)}"


def test_a_member_without_the_product_gets_403_with_a_link_to_the_product_page(client):
    course = make_course()
    client.force_login(make_member())

    for url in (lesson_url(course, 1), course.product.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 403, url
        assert course.product.get_catalog_url() in response.content.decode()
        assert "Secret body 1" not in response.content.decode()


def test_a_lapsed_member_gets_403_and_a_buy_again_link(client):
    course = make_course()
    member = make_member()
    grant(member, course.product, paid_through=BOUGHT_AT + timedelta(days=30))
    client.force_login(member)

    with time_machine.travel(BOUGHT_AT + timedelta(days=34), tick=False):
        response = client.get(lesson_url(course, 1))

    assert response.status_code == 403
    assert "Buy again" in response.content.decode()


def test_unknown_other_course_or_unpublished_ids_get_404(client, bought):
    course, member, _access = bought
    other = make_course()
    grant(member, other.product)
    hidden = CourseFactory(is_published=False)
    hidden_lesson = LessonFactory(module=ModuleFactory(product=hidden))
    grant(member, hidden)
    slug = course.product.slug

    urls = [
        reverse("members:lesson", kwargs={"slug": slug, "lesson_pk": 999999}),
        reverse("members:lesson", kwargs={"slug": slug, "lesson_pk": other.lessons[0].pk}),
        reverse("members:lesson", kwargs={"slug": "no-such-course", "lesson_pk": 1}),
        hidden_lesson.get_absolute_url(),
        hidden.get_absolute_url(),
        reverse("members:product", kwargs={"slug": "no-such-product"}),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_a_free_preview_lesson_is_open_to_any_logged_in_member(client):
    course = make_course()
    preview = course.lessons[1]
    preview.is_free_preview = True
    preview.save()
    client.force_login(make_member())

    response = client.get(preview.get_absolute_url())

    assert response.status_code == 200
    assert "<p>Secret body 2</p>" in response.content.decode()
    assert client.get(lesson_url(course, 1)).status_code == 403


@time_machine.travel(BOUGHT_AT + timedelta(hours=1), tick=False)
def test_mark_complete_with_a_plain_form_redirects_back_and_moves_progress(client, bought):
    course, member, _access = bought
    url = reverse(
        "members:lesson_complete",
        kwargs={"slug": course.product.slug, "lesson_pk": course.lessons[0].pk},
    )

    response = client.post(url, {"completed": "1"})

    assert response.status_code == 302
    assert response["Location"] == lesson_url(course, 1)
    progress = LessonProgress.objects.get(member=member, lesson=course.lessons[0])
    assert progress.completed_at == BOUGHT_AT + timedelta(hours=1)
    page = client.get(course.product.get_absolute_url()).content.decode()
    assert "1 of 3 lessons done (33%)" in page
    assert '<progress value="33" max="100"' in page


@time_machine.travel(BOUGHT_AT + timedelta(hours=1), tick=False)
def test_mark_complete_with_htmx_returns_the_button_and_the_new_progress_bar(client, bought):
    course, _member, _access = bought
    url = reverse(
        "members:lesson_complete",
        kwargs={"slug": course.product.slug, "lesson_pk": course.lessons[0].pk},
    )

    response = client.post(url, {"completed": "1"}, headers={"HX-Request": "true"})
    fragment = response.content.decode()

    assert response.status_code == 200
    assert "Mark as not complete" in fragment
    assert 'hx-swap-oob="true"' in fragment
    assert '<progress value="33" max="100"' in fragment
    assert "<html" not in fragment
    # The outline's item for this lesson is swapped too: it says "done" without a reload.
    item = fragment[fragment.index(f'<li id="lesson-row-{course.lessons[0].pk}"') :]
    item = item[: item.index("</li>")]
    assert 'class="lesson-row done current"' in item
    assert 'hx-swap-oob="true"' in item
    assert "done" in item.split('class="lesson-state">')[1]

    client.post(url, {"completed": "0"}, headers={"HX-Request": "true"})
    page = client.get(course.product.get_absolute_url()).content.decode()
    assert "0 of 3 lessons done (0%)" in page


@time_machine.travel(BOUGHT_AT + timedelta(hours=1), tick=False)
def test_a_locked_lesson_cannot_be_marked_complete(client, bought):
    course, member, _access = bought
    url = reverse(
        "members:lesson_complete",
        kwargs={"slug": course.product.slug, "lesson_pk": course.lessons[1].pk},
    )

    response = client.post(url, {"completed": "1"})

    assert response.status_code == 403
    assert not LessonProgress.objects.filter(member=member).exists()


def test_first_use_is_recorded_once_with_an_audit_row(client, bought):
    course, _member, access = bought
    first = BOUGHT_AT + timedelta(days=2)

    with time_machine.travel(first, tick=False):
        client.get(lesson_url(course, 1))
    with time_machine.travel(first + timedelta(days=1), tick=False):
        client.get(course.product.get_absolute_url())

    access.refresh_from_db()
    assert access.first_used_at == first
    events = GrantEvent.objects.filter(grant=access, kind=GrantEvent.Kind.FIRST_USE)
    assert list(events.values_list("at", flat=True)) == [first]


def test_a_stranger_opening_a_page_records_no_use(client):
    course = make_course()
    client.force_login(make_member())

    client.get(lesson_url(course, 1))

    assert not AccessGrant.objects.exists()
    assert not GrantEvent.objects.exists()
