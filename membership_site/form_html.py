"""A form renderer that writes the few templates of a plain form in Python (issue 20).

The profile form's four fields cost about a third of its page's CPU: Django renders the form
(``django/forms/div.html``), each field (``components/_form_field.html``), each widget and each
option through templates, with a context, a variable lookup and an include per piece. The
functions below write the same bytes from the same context: each ``{{ value }}`` as the template
engine does (localized, escaped unless marked safe), each ``|stringformat:'s'`` as the filter
does (a safe value stays safe), the same whitespace. A template not written here, or a shape the
Python does not cover (a field in a fieldset, a custom option template), is rendered by the
templates as before. ``tests/members/test_profile_form_html.py`` compares the two.

Only forms that name ``PythonFormRenderer`` use it; a project template overriding one of the
templates below would not be seen by them (that test would fail).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime

from membership_site.forms import SiteFormRenderer

OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _value(value: Any) -> str:
    """``{{ value }}`` in an autoescaping template (``render_value_in_context``)."""
    return conditional_escape(localize(template_localtime(value)))


def _string(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the filter keeps a safe value safe, else escaped."""
    text = str(value)
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``: ``False`` leaves the attribute out, ``True`` writes
    its name alone."""
    return "".join(
        f" {_value(name)}" if value is True else f' {_value(name)}="{_string(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(context: dict) -> str:
    """``django/forms/widgets/input.html`` (and text, checkbox..., which only include it)."""
    widget = context["widget"]
    value = widget["value"]
    value_html = "" if value is None else f' value="{_string(value)}"'
    return (
        f'<input type="{_value(widget["type"])}" name="{_value(widget["name"])}"'
        f"{value_html}{_attrs(widget['attrs'])}>"
    )


def _select(context: dict) -> str | None:
    """``django/forms/widgets/select.html`` with its included option template."""
    widget = context["widget"]
    parts = [f'<select name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_value(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(
                f'\n  <option value="{_string(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_value(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _error_list(context: dict) -> str:
    """``django/forms/errors/list/default.html`` (which includes ``ul.html``)."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = f' id="{_value(errors.field_id)}_error"' if errors.field_id else ""
    items = "".join(f"<li>{_value(error)}</li>" for error in errors)
    return f'<ul class="{_value(context["error_class"])}"{field_id}>{items}</ul>'


def _field_group(context: dict) -> str | None:
    """``components/_form_field.html``: label, widget, hint and errors of one field."""
    field = context["field"]
    if field.use_fieldset:
        return None  # legend and fieldset: left to the template
    if field.widget_type == "checkbox":
        head = (
            '<div class="form-field form-field-checkbox">\n'
            f'  <label for="{_value(field.id_for_label)}">{_value(field)} '
            f"{_value(field.label)}</label>\n"
        )
    else:
        label = field.label
        label_html = (
            f'<label for="{_value(field.id_for_label)}">{_value(label)}</label>' if label else ""
        )
        head = f'<div class="form-field">\n  {label_html}\n  {_value(field)}\n'
    hint = ""
    if field.help_text:
        hint = (
            f'<small class="field-hint" id="{_value(field.auto_id)}_helptext">'
            f"{field.help_text}</small>"  # the template's |safe: the form's own text
        )
    errors = field.errors
    error_html = ""
    if errors:
        messages = " ".join(_value(error) for error in errors)
        error_id = f"{_value(field.auto_id)}_error"
        error_html = f'<small class="field-error" id="{error_id}">{messages}</small>'
    return f"{head}\n  {hint}\n  {error_html}\n</div>"


def _hidden(fields: list) -> str:
    return "".join(_value(field) for field in fields)


def _div(context: dict) -> str:
    """``django/forms/div.html``: the top errors, then each visible field in a ``<div>``, the
    hidden fields inside the last one."""
    fields, hidden_fields, errors = context["fields"], context["hidden_fields"], context["errors"]
    parts = [f"{_value(errors)}\n"]
    if errors and not fields:
        parts.append(f"\n  <div>{_hidden(hidden_fields)}</div>\n")
    parts.append("\n")
    last = len(fields) - 1
    for index, (field, _errors) in enumerate(fields):
        classes = field.css_classes()
        class_html = f' class="{_value(classes)}"' if classes else ""
        parts.append(f"\n  <div{class_html}>\n    {_value(field.as_field_group())}\n    ")
        if index == last:
            parts.append(f"\n      {_hidden(hidden_fields)}\n    ")
        parts.append("\n</div>\n")
    parts.append("\n")
    if not fields and not errors:
        parts.append(f"\n  {_hidden(hidden_fields)}\n")
    return "".join(parts)


WRITERS: dict[str, Callable[[dict], str | None]] = {
    "django/forms/div.html": _div,
    "components/_form_field.html": _field_group,
    "django/forms/errors/list/default.html": _error_list,
    "django/forms/widgets/select.html": _select,
    **{
        f"django/forms/widgets/{name}.html": _input
        for name in (
            *("input", "text", "email", "number", "password", "url", "tel", "search", "hidden"),
            *("checkbox", "date", "datetime", "time"),
        )
    },
}


class PythonFormRenderer(SiteFormRenderer):
    """``SiteFormRenderer`` with the templates in ``WRITERS`` written in Python, same output."""

    def render(self, template_name: str, context: dict, request=None) -> str:
        write = WRITERS.get(template_name)
        if write is not None:
            html = write(context)
            if html is not None:
                return html.strip()  # as BaseRenderer.render strips the template's output
        return super().render(template_name, context, request=request)
