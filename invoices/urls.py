from django.urls import path

from invoices import views

app_name = "invoices"

urlpatterns = [
    path("", views.document_list, name="list"),
    # path: a number format may contain "/" (INV/2026/0001); lookups stay filtered by member.
    path("<path:number>/pdf/", views.document_pdf, name="pdf"),
    path("<path:number>/", views.document_detail, name="detail"),
]
