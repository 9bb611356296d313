"""The course builder: one admin page with a course's modules and lessons.

Django's admin has no nested inlines (modules holding lessons), so the builder is its own admin
view beside the product's change page: modules and lessons listed in order with their drip
setting, a short form to add a module or a lesson at the end (no extra screen), and
drag-and-drop (SortableJS) that posts the whole order as JSON with the CSRF token. The lesson's
text, video, images and attachments are edited on the lesson's own change page.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from products.builder_forms import LessonAddForm, ModuleAddForm, parse_course_order
from products.course_builder import (
    OrderRefused,
    add_lesson,
    add_module,
    course_outline,
    reorder_course,
)
from products.models import Product


def _course_or_404(model_admin, request: HttpRequest, pk: int) -> Product:
    product = Product.objects.filter(pk=pk, kind=Product.Kind.COURSE).first()
    if product is None:
        raise Http404
    if not model_admin.has_change_permission(request, product):
        raise PermissionDenied
    return product


def course_builder_view(model_admin, request: HttpRequest, pk: int) -> HttpResponse:
    product = _course_or_404(model_admin, request, pk)
    module_form = ModuleAddForm(prefix="module")
    lesson_form = LessonAddForm(prefix="lesson", product=product)
    if request.method == "POST" and "add_module" in request.POST:
        module_form = ModuleAddForm(request.POST, prefix="module")
        if module_form.is_valid():
            module = add_module(product=product, title=module_form.cleaned_data["title"])
            messages.success(request, _("Module “%(title)s” added.") % {"title": module.title})
            return redirect(request.path + f"#module-{module.pk}")
    elif request.method == "POST" and "add_lesson" in request.POST:
        lesson_form = LessonAddForm(request.POST, prefix="lesson", product=product)
        if lesson_form.is_valid():
            data = lesson_form.cleaned_data
            lesson = add_lesson(
                module=data["module"],
                title=data["title"],
                drip_days=data["drip_days"],
                opens_on=data["opens_on"],
            )
            messages.success(request, _("Lesson “%(title)s” added.") % {"title": lesson.title})
            return redirect(request.path + f"#lesson-{lesson.pk}")
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": product,
        "title": _("Course builder: %(name)s") % {"name": product.name},
        "product": product,
        "outline": course_outline(product=product, now=timezone.now(), tz=zone),
        "time_zone": settings.TIME_ZONE,
        "module_form": module_form,
        "lesson_form": lesson_form,
    }
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request, "admin/products/product/course_builder.html", context, status=status
    )


def course_order_view(model_admin, request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    product = _course_or_404(model_admin, request, pk)
    order = parse_course_order(request.body)
    if order is None:
        return JsonResponse({"error": _("The order could not be read.")}, status=400)
    try:
        changed = reorder_course(product=product, order=order)
    except OrderRefused:
        return JsonResponse(
            {"error": _("The order names a module or lesson of another course.")}, status=400
        )
    return JsonResponse({"changed": changed, "message": _("Order saved.")})
