from django.urls import path

from billing import plan_views, views
from billing.providers.digistore24 import answer_registration_check
from billing.webhooks import provider_webhook

app_name = "billing"

stripe_webhook = provider_webhook("stripe")
digistore24_webhook = answer_registration_check(provider_webhook("digistore24"))

urlpatterns = [
    path("webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
    path("webhooks/digistore24/", digistore24_webhook, name="digistore24_webhook"),
    # Without the slash too: providers do not follow a redirect on POST (APPEND_SLASH would
    # answer 301), so a URL pasted without it would lose every delivery. No name: links and
    # reverse() keep the canonical form.
    path("webhooks/stripe", stripe_webhook),
    path("webhooks/digistore24", digistore24_webhook),
    path("checkout/<int:price_pk>/", views.checkout, name="checkout"),
    path("checkout/test/<int:price_pk>/", views.test_checkout, name="test_checkout"),
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("checkout/status/", views.checkout_status, name="checkout_status"),
    path("portal/", views.portal, name="portal"),
    path("subscriptions/<str:ref>/portal/", views.subscription_portal, name="subscription_portal"),
    path("subscriptions/<str:ref>/cancel/", views.cancel, name="cancel"),
    path("subscriptions/<str:ref>/resume/", views.resume, name="resume"),
    path("subscriptions/<str:ref>/change-plan/", plan_views.change_plan_view, name="change_plan"),
    path("subscriptions/<str:ref>/test-portal/", views.test_portal, name="test_portal"),
]
