from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("<slug:slug>/", views.signup, name="signup"),
]
