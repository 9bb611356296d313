"""A lesson's files are private downloads, handed only to a member for whom the lesson is open."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile

from members.downloads import attachment_url
from products.models import LessonAttachment
from tests.members.helpers import BOUGHT_AT, grant, make_course, make_member

pytestmark = pytest.mark.django_db
NOW = BOUGHT_AT + timedelta(hours=1)


@pytest.fixture
def files(client):
    course = make_course(days=(0, 3))
    member = make_member()
    grant(member, course.product)
    client.force_login(member)
    open_file, locked_file = (
        LessonAttachment(lesson=lesson, title=f"Worksheet {number}")
        for number, lesson in enumerate(course.lessons, start=1)
    )
    for item in (open_file, locked_file):
        item.file.save("worksheet.pdf", ContentFile(b"%PDF-1.4 sheet"), save=True)
    return course, member, open_file, locked_file


def fetch(client, url):
    with time_machine.travel(NOW, tick=False):
        return client.get(url)


def test_an_open_lesson_lists_its_file_with_a_personal_link_that_streams_it(client, files):
    course, member, open_file, _locked = files
    page = fetch(client, course.lessons[0].get_absolute_url()).content.decode()
    with time_machine.travel(NOW, tick=False):
        url = attachment_url(member=member, attachment=open_file)
    assert f'href="{url}"' in page
    assert "Worksheet 1" in page

    response = fetch(client, url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 sheet"
    assert response["Cache-Control"] == "private, no-store"


def test_the_file_of_a_lesson_not_yet_open_is_refused(client, files):
    _course, member, _open, locked_file = files
    with time_machine.travel(NOW, tick=False):
        url = attachment_url(member=member, attachment=locked_file)

    assert fetch(client, url).status_code == 403


def test_another_members_link_is_refused(client, files):
    _course, _member, open_file, _locked = files
    with time_machine.travel(NOW, tick=False):
        url = attachment_url(member=make_member(), attachment=open_file)

    assert fetch(client, url).status_code == 403


def test_a_member_without_the_course_is_refused(client, files):
    _course, _member, open_file, _locked = files
    stranger = make_member()
    client.force_login(stranger)
    with time_machine.travel(NOW, tick=False):
        url = attachment_url(member=stranger, attachment=open_file)

    assert fetch(client, url).status_code == 403


def test_the_file_is_not_in_public_media(client, files):
    _course, _member, open_file, _locked = files

    assert fetch(client, f"/media/{open_file.file.name}").status_code == 404
