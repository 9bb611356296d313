"""The demo course after a purchase: lesson 1 open, lessons 2 and 3 locked with their dates."""

from datetime import timedelta

import pytest
import time_machine

from products.demo import seed_demo_catalog
from tests.members.helpers import BOUGHT_AT, grant, make_member

pytestmark = pytest.mark.django_db


def test_after_buying_the_demo_course_lesson_one_is_open_and_the_others_show_dates(client):
    course = seed_demo_catalog()["six-day-habit-course"]
    member = make_member(time_zone="Europe/Berlin")
    grant(member, course)
    client.force_login(member)
    lessons = list(course.modules.get().lessons.order_by("position"))

    with time_machine.travel(BOUGHT_AT + timedelta(minutes=5), tick=False):
        outline = client.get(course.get_absolute_url()).content.decode()
        locked = client.get(lessons[1].get_absolute_url()).content.decode()

    assert f'<a href="{lessons[0].get_absolute_url()}">Day 0: Start small</a>' in outline
    assert "opens on 4 Nov" in outline
    assert "opens on 7 Nov" in outline
    assert "This lesson opens on 4 Nov 2025 at 00:00 (your time)." in locked
    assert "Attach the habit" not in locked
