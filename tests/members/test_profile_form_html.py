"""The profile form is written by Python, not by templates (issue 20): the member gets the same
bytes Django's own rendering gives, in every language, with the submitted values and the errors
of a failed save, every value escaped."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django import forms
from django.test.signals import template_rendered
from django.utils import translation
from django.utils.safestring import mark_safe

from members.forms import ProfileForm, TimeZoneSelect
from membership_site.form_html import PythonFormRenderer
from membership_site.forms import SiteFormRenderer
from tests.members.helpers import make_member

pytestmark = pytest.mark.django_db

HOSTILE = "Ada \"<b>Lovelace</b>\" & 'co'"


def templates_rendered_by(render) -> tuple[str, list[str]]:
    """What ``render()`` returns, and the names of the templates it rendered."""
    names: list[str] = []

    def record(sender, template, **_kwargs):
        names.append(template.name)

    template_rendered.connect(record)
    try:
        html = render()
    finally:
        template_rendered.disconnect(record)
    return str(html), names


def both(make_form) -> tuple[str, str, list[str]]:
    """The form as the page writes it (and the templates that took part), then the same form
    through the site's template renderer, as before issue 20."""
    fast, templates = templates_rendered_by(lambda: make_form().as_div())
    plain = str(make_form(renderer=SiteFormRenderer()).as_div())
    return fast, plain, templates


@pytest.mark.parametrize("language", ["en", "de", "nl"])
@pytest.mark.parametrize(
    ("zone", "member_language", "notifications"),
    [
        ("Europe/Berlin", "", True),
        ("America/Los_Angeles", "de", False),
        ("Etc/GMT+5", "nl", True),
        ("UTC", "en", False),
    ],
)
def test_the_members_form_is_what_django_wrote(language, zone, member_language, notifications):
    member = make_member(
        time_zone=zone, name=HOSTILE, language=member_language, lesson_notifications=notifications
    )

    with translation.override(language):
        fast, plain, templates = both(lambda **kw: ProfileForm(instance=member, **kw))

    assert fast == plain
    assert templates == []  # no template at all: every piece was written in Python
    assert f'<option value="{zone}" selected>' in fast
    assert fast.count(" selected>") == 2  # the zone and the language (or the blank choice)
    assert 'value="Ada &quot;&lt;b&gt;Lovelace&lt;/b&gt;&quot; &amp; &#x27;co&#x27;"' in fast
    assert ("checked>" in fast) is notifications


INVALID = [
    {"name": HOSTILE, "time_zone": 'Mars/<Olympus>&"', "language": "nl"},
    {"name": "", "time_zone": "Asia/Tokyo", "language": "xx", "lesson_notifications": "on"},
    {"name": "x" * 201, "time_zone": "", "language": "de"},
    {},
]


@pytest.mark.parametrize("language", ["en", "de", "nl"])
@pytest.mark.parametrize("data", INVALID)
def test_a_failed_save_shows_the_same_errors_and_submitted_values(language, data):
    member = make_member(time_zone="Europe/Berlin", name="Ada")

    with translation.override(language):
        form = ProfileForm(data, instance=member)
        assert not form.is_valid()
        fast, plain, templates = both(lambda **kw: ProfileForm(data, instance=member, **kw))

    assert fast == plain
    assert templates == []
    assert fast.count('class="field-error"') == len(form.errors)
    assert fast.count('aria-invalid="true"') == len(form.errors)
    assert "&lt;Olympus&gt;" not in fast  # an unknown zone is not offered back as an option


def test_the_unknown_zone_error_reads_in_the_members_language():
    member = make_member(time_zone="Europe/Berlin")
    data = {"name": "Ada", "time_zone": "Mars/Olympus_Mons", "language": ""}

    with translation.override("de"):
        form = ProfileForm(data, instance=member)
        form.is_valid()
        html = str(form.as_div())

    assert '<small class="field-error" id="id_time_zone_error">' in html
    assert "Wähle eine Zeitzone aus der Liste." in html
    assert 'value="Ada"' in html  # what the member typed is kept
    assert " selected>" in html.split('name="language"')[1]  # the blank language choice


def test_the_page_after_a_failed_save_carries_djangos_form(client):
    member = make_member(time_zone="Europe/Berlin", language="nl")
    client.force_login(member)
    data = INVALID[0]

    page = client.post("/members/profile/", data).content.decode()

    with translation.override("nl"):
        plain = str(ProfileForm(data, instance=member, renderer=SiteFormRenderer()).as_div())
    assert page.count(plain) == 1
    assert "Kies een tijdzone uit de lijst." in page


# --- the renderer on forms other than the profile's ------------------------------------------


class EveryShape(forms.Form):
    """The shapes the Python writers cover, and two they leave to the templates."""

    error_css_class = "has-error"
    required_css_class = "required"

    title = forms.CharField(help_text=mark_safe("Shown <em>in bold</em>"), max_length=5)
    email = forms.EmailField(required=False, label="E-mail <address>")
    count = forms.IntegerField(initial=1200, min_value=0)
    day = forms.DateField(initial=date(2025, 12, 24), required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    flavour = forms.ChoiceField(
        choices=[
            ("", "Pick one"),
            ("Sweet", [("a&b", "A & B"), ('"q"', mark_safe("<i>safe</i>"))]),
            (7, 7000),
        ],
        required=False,
    )
    agree = forms.BooleanField(label="I agree & accept", required=False)
    size = forms.ChoiceField(choices=[("s", "Small"), ("l", "Large")], widget=forms.RadioSelect)
    note = forms.CharField(widget=forms.Textarea, required=False)
    token = forms.CharField(widget=forms.HiddenInput, initial="<t&k>")

    def clean(self):
        if self.cleaned_data.get("title") == "boom":
            raise forms.ValidationError("Both <fields> disagree.")
        return self.cleaned_data


class HiddenOnly(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        raise forms.ValidationError("Start over.")


class RendersInPython:
    default_renderer = PythonFormRenderer()


class FastEveryShape(RendersInPython, EveryShape):
    pass


class FastHiddenOnly(RendersInPython, HiddenOnly):
    pass


SHAPES = [
    (FastEveryShape, None),
    (FastEveryShape, {"title": "too long", "email": "no", "count": "-1", "flavour": '"q"',
                      "secret": "<p&w>", "agree": "on", "token": "x\"y", "day": "soon"}),
    (FastEveryShape, {"title": "boom", "count": "3", "flavour": "7", "size": "s", "token": "t"}),
    (FastEveryShape, {"title": "ok", "count": "3", "flavour": "a&b", "size": "l", "token": ""}),
    (FastHiddenOnly, None),
    (FastHiddenOnly, {"token": "<x>"}),
]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(("form_class", "data"), SHAPES)
def test_every_written_shape_equals_the_templates(language, form_class, data):
    with translation.override(language):
        fast, plain, templates = both(lambda **kw: form_class(data, **kw))

    assert fast == plain
    # The radio buttons sit in a fieldset and the textarea has no writer: templates, as before.
    left_to_templates = {
        "components/_form_field.html",
        "django/forms/widgets/radio.html",
        "django/forms/widgets/multiple_input.html",
        "django/forms/widgets/input_option.html",
        "django/forms/widgets/radio_option.html",
        "django/forms/widgets/input.html",
        "django/forms/widgets/attrs.html",
        "django/forms/widgets/textarea.html",
    }
    assert set(templates) == (left_to_templates if form_class is FastEveryShape else set())


def test_the_values_are_escaped_once():
    html = str(FastEveryShape({"title": "<b>", "secret": "<p&w>", "token": 'x"y'}).as_div())

    assert 'value="&lt;b&gt;"' in html
    assert 'value="&lt;p&amp;w&gt;"' in html
    assert 'value="x&quot;y"' in html
    assert '<label for="id_email">E-mail &lt;address&gt;</label>' in html
    assert '<option value="a&amp;b">A &amp; B</option>' in html
    assert '<option value="&quot;q&quot;"><i>safe</i></option>' in html  # marked safe: as is
    assert "Shown <em>in bold</em>" in html  # help text is the form's own HTML


# --- the time zone options, written once per process ------------------------------------------


class OddZoneSelect(TimeZoneSelect):
    _rendered: dict = {}  # its own process cache: these choices are not the zone list


ODD_ZONES = [("A&B/C", "A&B C"), ('Q"<x>', "Q <x>"), ("Europe/Berlin", "Europe/Berlin")]


@pytest.mark.parametrize("value", ["A&B/C", 'Q"<x>', "Europe/Berlin", "<x>", None])
def test_zone_names_that_need_escaping_are_escaped_and_selected(value):
    OddZoneSelect._rendered.clear()

    first = OddZoneSelect(choices=ODD_ZONES).render("time_zone", value, {"id": "id_tz"})
    cached = OddZoneSelect(choices=ODD_ZONES).render("time_zone", value, {"id": "id_tz"})
    plain = forms.Select(choices=ODD_ZONES).render("time_zone", value, {"id": "id_tz"})

    assert first == cached == plain
    assert '<option value="A&amp;B/C"' in first
    assert '<option value="Q&quot;&lt;x&gt;"' in first
    assert ">Q &lt;x&gt;</option>" in first
    assert len(re.findall(" selected>", first)) == (1 if value in dict(ODD_ZONES) else 0)


def test_the_real_zone_names_need_no_escaping():
    """Why the markup of the zone list may be kept: its names come from the zone database."""
    names = [value for value, _label in ProfileForm.base_fields["time_zone"].choices]

    assert len(names) > 400
    assert all(re.fullmatch(r"[A-Za-z0-9_+\-/]+", name) for name in names)
