from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from products.selectors import published_products


def catalog(request: HttpRequest) -> HttpResponse:
    return render(request, "products/catalog.html", {"products": published_products()})


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = published_products().filter(slug=slug).first()
    if product is None:
        raise Http404
    return render(request, "products/detail.html", {"product": product})
