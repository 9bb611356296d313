from django.urls import path

from magazine import views

app_name = "magazine"

urlpatterns = [
    path("files/<str:token>/", views.post_file, name="post_file"),
    path("<slug:slug>/", views.issues, name="issues"),
    path("<slug:slug>/<slug:post>/", views.post, name="post"),
]
