"""Forms of the course builder page and of the rich-text fields in the product admin."""

from __future__ import annotations

import json

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorFormField

from products.course_builder import CourseOrder
from products.models import Lesson, Module, Product
from products.richtext import sanitize_html

# What the editor offers; sanitize_html (nh3) decides what is kept, on save and on display.
EDITOR_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Strike": True,
    "Underline": True,
    "Subscript": True,
    "Superscript": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "Link": {"enableTarget": False},
    "Image": True,
    "Table": True,
    "TableRow": True,
    "TableHeader": True,
    "TableCell": True,
    "HTML": True,
    "History": True,
}


class RichTextField(ProseEditorFormField):
    """The prose editor in the form; the stored value is what sanitize_html keeps."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("config", {"extensions": EDITOR_EXTENSIONS})
        kwargs["sanitize"] = lambda html: str(sanitize_html(html)) if html.strip() else ""
        super().__init__(*args, **kwargs)


class ProductForm(forms.ModelForm):
    description = RichTextField(label=capfirst(_("description")), required=False)
    whats_included = RichTextField(label=capfirst(_("what's included")), required=False)

    class Meta:
        model = Product
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown


class LessonForm(forms.ModelForm):
    body = RichTextField(label=capfirst(_("body")), required=False)

    class Meta:
        model = Lesson
        fields = "__all__"  # noqa: DJ007 - the admin's fields choose what is shown


class ModuleAddForm(forms.Form):
    title = forms.CharField(label=_("Module title"), max_length=200)


class LessonAddForm(forms.Form):
    module = forms.ModelChoiceField(
        queryset=Module.objects.none(), label=_("Add to module"), empty_label=None
    )
    title = forms.CharField(label=_("Lesson title"), max_length=200)
    drip_days = forms.IntegerField(
        label=_("opens after (days)"), min_value=0, required=False, initial=0
    )
    opens_on = forms.DateField(
        label=_("or on a fixed date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = Module.objects.filter(product=product)
        self.fields["module"].label_from_instance = lambda module: module.title
        modules = list(self.fields["module"].queryset.order_by("position", "pk"))
        if modules:  # new lessons usually go into the module added last
            self.fields["module"].initial = modules[-1].pk

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("opens_on") is None and cleaned.get("drip_days") is None:
            cleaned["drip_days"] = 0
        if cleaned.get("opens_on") is not None and cleaned.get("drip_days"):
            raise forms.ValidationError(
                _("A lesson opens after an offset or on a fixed date, not both.")
            )
        return cleaned


def parse_course_order(body: bytes) -> CourseOrder | None:
    """The builder's posted order ``{"modules": [ids], "lessons": {module id: [ids]}}``."""
    try:
        data = json.loads(body)
        modules = [int(pk) for pk in data["modules"]]
        lessons = {int(key): [int(pk) for pk in pks] for key, pks in data["lessons"].items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return CourseOrder(modules=modules, lessons=lessons)
