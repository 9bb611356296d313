"""Lesson bodies and descriptions: edited in the prose editor, sanitized on save and on display."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from products.models import Lesson, LessonImage
from tests.admin_forms import add_inline_row, admin_form_data
from tests.factories import CourseFactory, LessonFactory
from tests.members.helpers import BOUGHT_AT, grant, make_course, make_member

pytestmark = pytest.mark.django_db

HOSTILE = {
    "script": ("<p>Hello</p><script>alert(1)</script>", "<script", "alert(1)"),
    "onerror": ('<p>Hello<img src="https://x.test/a.png" onerror="steal()"></p>', "onerror", ""),
    "javascript_link": (
        '<p><a href="javascript:steal()">Hello</a></p>',
        "javascript:",
        "steal()",
    ),
    "iframe_unknown_host": (
        '<p>Hello</p><iframe src="https://evil.example/embed/x"></iframe>',
        "<iframe",
        "evil.example",
    ),
}


def lesson_change_url(lesson: Lesson) -> str:
    return reverse("admin:products_lesson_change", args=[lesson.pk])


@pytest.mark.parametrize("case", HOSTILE.keys())
def test_hostile_lesson_html_is_stripped_when_saved_in_the_admin(creator_client, case):
    body, *forbidden = HOSTILE[case]
    lesson = LessonFactory()
    url = lesson_change_url(lesson)
    data = admin_form_data(creator_client.get(url))
    data["body"] = body

    assert creator_client.post(url, data).status_code == 302

    lesson.refresh_from_db()
    assert "Hello" in lesson.body
    for text in filter(None, forbidden):
        assert text not in lesson.body


@pytest.mark.parametrize("case", HOSTILE.keys())
def test_hostile_lesson_html_already_stored_is_stripped_when_shown(client, case):
    body, *forbidden = HOSTILE[case]
    course = make_course()
    lesson = course.lessons[0]
    Lesson.objects.filter(pk=lesson.pk).update(body=body)  # e.g. written before this release
    member = make_member()
    grant(member, course.product)
    client.force_login(member)

    with time_machine.travel(BOUGHT_AT + timedelta(hours=1), tick=False):
        page = client.get(lesson.get_absolute_url()).content.decode()

    body_html = page.split('class="lesson-body">', 1)[1].split("</div>", 1)[0]
    assert "Hello" in body_html
    for text in filter(None, forbidden):
        assert text not in body_html


def test_formatting_the_editor_produces_is_kept(creator_client):
    lesson = LessonFactory()
    url = lesson_change_url(lesson)
    data = admin_form_data(creator_client.get(url))
    data["body"] = (
        '<h2>Step one</h2><p><strong>Bold</strong> and <a href="https://example.test/">a link</a>'
        '</p><ul><li><p>Point</p></li></ul><img src="/media/lesson-images/a.webp" alt="Chart">'
    )

    creator_client.post(url, data)

    lesson.refresh_from_db()
    assert "<h2>Step one</h2>" in lesson.body
    assert "<strong>Bold</strong>" in lesson.body
    assert 'href="https://example.test/"' in lesson.body
    assert 'src="/media/lesson-images/a.webp"' in lesson.body
    assert "<li>" in lesson.body


def test_the_lesson_and_product_pages_use_the_prose_editor(creator_client):
    lesson = LessonFactory()
    lesson_page = creator_client.get(lesson_change_url(lesson)).content.decode()
    product_page = creator_client.get(
        reverse("admin:products_product_change", args=[lesson.module.product.pk])
    ).content.decode()

    assert "prose-editor" in lesson_page
    assert product_page.count("prose-editor") >= 2  # description and what's included


def test_hostile_description_is_stripped_when_saved(creator_client):
    product = CourseFactory()
    url = reverse("admin:products_product_change", args=[product.pk])
    data = admin_form_data(creator_client.get(url))
    data["description"] = '<p onclick="x()">Learn</p><script>alert(1)</script>'

    assert creator_client.post(url, data).status_code == 302

    product.refresh_from_db()
    assert product.description == "<p>Learn</p>"


def jpeg(width: int, height: int) -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "JPEG")
    return SimpleUploadedFile("holiday.jpg", out.getvalue(), content_type="image/jpeg")


def test_an_image_uploaded_into_a_lesson_is_resized_once_and_served_publicly(
    creator_client, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    lesson = LessonFactory()
    url = lesson_change_url(lesson)
    data = admin_form_data(creator_client.get(url))
    add_inline_row(data, "images", image=jpeg(3200, 1600), alt_text="A chart")

    assert creator_client.post(url, data).status_code == 302

    image = LessonImage.objects.get(lesson=lesson)
    assert (image.width, image.height) == (1600, 800)
    assert image.image.name.startswith("lesson-images/")
    assert image.image.name.endswith(".webp")
    assert "holiday" not in image.image.name  # a random name, not the uploaded one
    response = client.get(image.image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    page = creator_client.get(url).content.decode()
    assert image.image.url in page  # the address to paste into the text
