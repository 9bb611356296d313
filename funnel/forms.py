from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from products.models import Product

MAX_DAYS = 366 * 3


class FunnelRangeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.order_by("name"),
        required=False,
        empty_label=_("All products"),
        to_field_name="slug",
    )
    include_test = forms.BooleanField(label=_("Include test-mode orders"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("“From” must be on or before “To”."))
        if start and end and (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose at most three years."))
        return data
