from django import template

from leads.forms import SignUpForm
from leads.selectors import accepts_signups
from leads.services import consent_text_for

register = template.Library()


@register.inclusion_tag("leads/_signup_form.html", takes_context=True)
def signup_box(context, product) -> dict:
    """The sign-up form of a free product on its sales page (nothing for any other product)."""
    if not accepts_signups(product):
        return {"product": None}
    form = SignUpForm(consent_text=consent_text_for(product))
    return {"product": product, "form": form, "csrf_token": context.get("csrf_token")}
