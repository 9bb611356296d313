"""The member's invoices: a list, one document, its PDF. Only the owner ever sees a document."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from invoices.delivery import read_document_pdf
from invoices.selectors import (
    member_document_or_404,
    member_documents,
    member_pending_invoices,
    merchant_of_record_orders,
)
from members.views import member_view


@member_view
def document_list(request: HttpRequest) -> HttpResponse:
    context = {
        "documents": member_documents(member=request.user),
        "pending": member_pending_invoices(member=request.user),
        "provider_orders": merchant_of_record_orders(member=request.user),
    }
    return render(request, "invoices/list.html", context)


@member_view
def document_detail(request: HttpRequest, number: str) -> HttpResponse:
    document = member_document_or_404(member=request.user, number=number)
    context = {"document": document, "lines": document.lines.all()}
    return render(request, "invoices/detail.html", context)


@member_view
def document_pdf(request: HttpRequest, number: str) -> HttpResponse:
    document = member_document_or_404(member=request.user, number=number)
    content = read_document_pdf(document=document, now=timezone.now())
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.pdf_filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
