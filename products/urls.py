from django.urls import path

from products import views

app_name = "products"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("products/<slug:slug>/", views.product_detail, name="detail"),
    path(
        "products/<slug:slug>/preview/<int:lesson_pk>/",
        views.lesson_preview,
        name="lesson_preview",
    ),
    path("media/<path:path>", views.public_media, name="media"),
]
