"""``{% load i18n %}`` loads ``membership_site.i18n_tags``: ``{% translate "literal" %}`` gives
what Django's tag gives, in every language, escaped or not, and other uses are Django's."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, Library, engines
from django.templatetags import i18n as django_i18n
from django.utils import translation

from membership_site.i18n_tags import LiteralTranslateNode, django_do_translate

# Django's own library, as it was before membership_site.i18n_tags.install()
register = Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)
register.tags["translate"] = register.tags["trans"] = django_do_translate
DJANGO = Engine(libraries={"i18n": __name__})
OURS = Engine(libraries={"i18n": "django.templatetags.i18n"})
TEMPLATES = [
    '{% translate "My products" %}',
    "{% translate 'Subscriptions' %}",
    '{% trans "Fix billing" %}',
    '{% translate "50% off & <b>more</b>" %}',
    '{% translate "100%% sure" %}',
    '{% translate "" %}',
    '{% translate "My products" as title %}[{{ title }}]{{ title|upper }}',
    '{% translate "My products" context "menu" %}',
    '{% translate "My products"|upper %}',
    '{% translate "My products" noop %}',
    "{% translate name %}",
]


@pytest.mark.parametrize("language", ["en", "de", "nl"])
@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("source", TEMPLATES)
def test_renders_as_django_does(source, language, autoescape):
    source = "{% load i18n %}" + source
    context = {"name": "Subscriptions"}
    with translation.override(language):
        theirs = DJANGO.from_string(source).render(Context(context, autoescape=autoescape))
        ours = OURS.from_string(source).render(Context(context, autoescape=autoescape))
    assert ours == theirs


def test_a_literal_is_translated_and_others_are_django_s_nodes():
    def nodes(source):
        return OURS.from_string("{% load i18n %}" + source).nodelist.get_nodes_by_type(
            django_i18n.TranslateNode
        )

    assert [type(node) for node in nodes('{% translate "My products" %}')] == [LiteralTranslateNode]
    for source in TEMPLATES[7:]:
        assert [type(node) for node in nodes(source)] == [django_i18n.TranslateNode]
    with translation.override("de"):
        assert (
            OURS.from_string('{% load i18n %}{% translate "My products" %}').render(Context())
            == translation.gettext("My products")
            != "My products"
        )


def test_the_site_s_templates_load_it():
    engine = engines["django"].engine
    template = engine.from_string('{% load i18n %}{% translate "My products" %}')
    assert isinstance(template.nodelist[1], LiteralTranslateNode)
    template = engine.from_string('{% load i18n %}{% trans "My products" %}')
    assert isinstance(template.nodelist[1], LiteralTranslateNode)
    assert django_do_translate.__module__ == "django.templatetags.i18n"
