from django.urls import path

from offers import upsell_views

app_name = "offers"

urlpatterns = [
    path("upsell/<str:token>/take/", upsell_views.take, name="upsell_take"),
    path("upsell/<str:token>/no-thanks/", upsell_views.dismiss, name="upsell_dismiss"),
    path("upsell/<str:token>/status/", upsell_views.status, name="upsell_status"),
    path("upsell/<str:token>/checkout/", upsell_views.checkout, name="upsell_checkout"),
]
