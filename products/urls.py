from django.urls import path

from products import views

app_name = "products"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("products/<slug:slug>/", views.product_detail, name="detail"),
]
