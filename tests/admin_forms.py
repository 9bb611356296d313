"""Build the POST data of a Django admin change page from the page the admin rendered."""

from __future__ import annotations

from typing import Any

from django.core.files import File


def _put(data: dict[str, Any], form, name: str) -> None:
    value = form[name].value()
    key = form.add_prefix(name)
    if value is None or value is False:
        return
    if value is True:
        data[key] = "on"
    elif isinstance(value, list | tuple):
        data[key] = [str(item) for item in value]
    elif isinstance(value, File):
        return  # file fields: the saved file stays when nothing is uploaded
    else:
        data[key] = str(value)


def admin_form_data(response) -> dict[str, Any]:
    """The data the admin page would post back unchanged, inlines and management forms included."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        _put(data, form, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for inline_form in formset.forms:
            for name in inline_form.fields:
                _put(data, inline_form, name)
    return data


def add_inline_row(data: dict[str, Any], prefix: str, **fields: Any) -> None:
    """Append one new row to the inline formset with the given prefix."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value
