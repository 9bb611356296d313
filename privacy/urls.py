from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("export/", views.export, name="export"),
    path("delete/", views.request_deletion, name="request_deletion"),
    path("delete/<str:uidb64>/<str:token>/", views.confirm_erasure, name="confirm_erasure"),
]
