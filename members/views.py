from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from products.models import Lesson, Product


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "members/dashboard.html", {"grants": []})


@login_required
def product(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product, slug=slug, is_published=True)
    # Access grants arrive with the payment providers; until then no member owns a product.
    return render(request, "members/no_access.html", {"product": product}, status=403)


@login_required
def lesson(request: HttpRequest, slug: str, lesson_pk: int) -> HttpResponse:
    lesson = get_object_or_404(
        Lesson.objects.select_related("module__product"),
        pk=lesson_pk,
        module__product__slug=slug,
        module__product__is_published=True,
    )
    product = lesson.module.product
    return render(request, "members/no_access.html", {"product": product}, status=403)
