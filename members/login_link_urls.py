from django.urls import path

from members import login_links

app_name = "login_link"

urlpatterns = [
    path("new/", login_links.request_link, name="request"),
    path("set-password/", login_links.set_password, name="set_password"),
    path("<str:uidb64>/<str:token>/", login_links.use_link, name="use"),
]
