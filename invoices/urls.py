from django.urls import path

from invoices import views

app_name = "invoices"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("<str:number>/", views.document_detail, name="detail"),
    path("<str:number>/pdf/", views.document_pdf, name="pdf"),
]
