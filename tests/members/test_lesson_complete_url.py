"""``{% lesson_complete_url %}`` writes what ``{% url 'members:lesson_complete' %}`` wrote, also
under a script prefix (a site served below a path)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix

from tests.members.helpers import make_course

pytestmark = pytest.mark.django_db


def _both(product, lesson):
    context = Context({"product": product, "lesson": lesson})
    ours = Template(
        "{% load member_pages %}{% lesson_complete_url product lesson as url %}[{{ url }}]"
    ).render(context)
    theirs = Template(
        "{% url 'members:lesson_complete' slug=product.slug lesson_pk=lesson.pk as url %}"
        "[{{ url }}]"
    ).render(context)
    return ours, theirs


def test_the_same_url_as_django_s_url_tag():
    course = make_course(days=(0, 1))
    for lesson in course.lessons:
        ours, theirs = _both(course.product, lesson)
        assert ours == theirs
        assert ours == "[" + reverse("members:lesson_complete", kwargs={
            "slug": course.product.slug, "lesson_pk": lesson.pk}) + "]"  # fmt: skip
    try:
        set_script_prefix("/school/")
        ours, theirs = _both(course.product, course.lessons[0])
        assert ours == theirs
        assert ours.startswith("[/school/members/")
    finally:
        set_script_prefix("/")
