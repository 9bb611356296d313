from django.urls import path

from members import views

app_name = "members"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("products/<slug:slug>/", views.product, name="product"),
    path("courses/<slug:slug>/lessons/<int:lesson_pk>/", views.lesson, name="lesson"),
]
