from django.urls import path

from sequences import views

app_name = "sequences"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preference/", views.marketing_preference, name="preference"),
]
