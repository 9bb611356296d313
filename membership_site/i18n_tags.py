"""``{% translate "literal" %}`` translated directly (issue 20).

Django's ``TranslateNode`` makes a lazy translation of the literal on every render, then resolves
it through the template variable machinery, localises it, forces it to text, escapes it (a
literal's translation is safe, so escaping leaves it) and restores percent signs: about 60,000
instructions, where the answer is ``gettext`` of the literal. A tag with a literal message and
nothing else (no filter, ``context`` or ``noop``; ``as`` is fine) renders here as
``mark_safe(gettext(message).replace("%%", "%"))`` with the message's percent signs doubled, as
Django's does; every other tag is Django's node. ``tests/site/test_i18n_tags.py`` compares the
two in three languages, with and without autoescaping.

``install()`` (at start-up, ``members.apps``) puts ``do_translate`` in place of Django's in the
``i18n`` library's tags, so ``{% load i18n %}`` gives it to every template; a library of our own
under the same name would be a second ``i18n`` (system check ``templates.W003``).
"""

from __future__ import annotations

from django.templatetags import i18n as django_i18n
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

django_do_translate = django_i18n.register.tags["translate"]


class LiteralTranslateNode(django_i18n.TranslateNode):
    """``{% translate "literal" %}`` (optionally ``as name``): the literal's translation."""

    def __init__(self, node: django_i18n.TranslateNode, literal: str) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        self.msgid = mark_safe(literal.replace("%", "%%"))  # noqa: S308 - a template's literal

    def render(self, context):
        value = mark_safe(gettext(self.msgid).replace("%%", "%"))  # noqa: S308 - as Django's
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


def _literal(node: django_i18n.TranslateNode) -> str | None:
    expression = node.filter_expression
    if node.noop or node.message_context is not None or expression.filters:
        return None
    variable = expression.var
    if getattr(variable, "lookups", True) is not None or not isinstance(variable.literal, str):
        return None
    return variable.literal


def do_translate(parser, token):
    """Django's ``do_translate``, giving a ``LiteralTranslateNode`` for a plain literal."""
    node = django_do_translate(parser, token)
    literal = _literal(node)
    return node if literal is None else LiteralTranslateNode(node, literal)


def install() -> None:
    tags = django_i18n.register.tags
    if tags.get("translate") is django_do_translate:
        tags["translate"] = tags["trans"] = do_translate
