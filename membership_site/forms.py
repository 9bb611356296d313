"""Every ``{{ form }}`` and ``{{ field.as_field_group }}`` renders through our components."""

from django.forms.renderers import TemplatesSetting


class SiteFormRenderer(TemplatesSetting):
    form_template_name = "components/_form.html"
    field_template_name = "components/_form_field.html"
