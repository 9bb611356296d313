from django.urls import path

from members import upgrade_views, views

app_name = "members"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("products/<slug:slug>/", views.product, name="product"),
    path("courses/<slug:slug>/lessons/<int:lesson_pk>/", views.lesson, name="lesson"),
    path(
        "courses/<slug:slug>/lessons/<int:lesson_pk>/complete/",
        views.lesson_complete,
        name="lesson_complete",
    ),
    path("downloads/<str:token>/", views.download, name="download"),
    path("lesson-files/<str:token>/", views.lesson_attachment, name="lesson_attachment"),
    path("preview/<slug:slug>/", views.course_preview, name="course_preview"),
    path("profile/", views.profile, name="profile"),
    path("upgrade/<str:token>/", upgrade_views.upgrade_offer, name="upgrade_offer"),
    path("profile/sessions/end-others/", views.end_other_sessions, name="end_other_sessions"),
]
