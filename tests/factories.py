from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from members.models import AccessGrant
from products.models import BundleItem, Lesson, Module, Price, Product


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"member{n}@example.test")
    name = factory.Faker("name")
    password = factory.django.Password("pw-member-1")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    kind = Product.Kind.DOWNLOAD
    is_published = True


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    product = factory.SubFactory(ProductFactory)
    amount = 4900
    currency = "EUR"
    stripe_price_id = factory.Sequence(lambda n: f"price_test_{n}")


class RecurringPriceFactory(PriceFactory):
    billing_type = Price.BillingType.RECURRING
    interval = Price.Interval.MONTH
    product = factory.SubFactory(ProductFactory, kind=Product.Kind.MEMBERSHIP)


class CourseFactory(ProductFactory):
    kind = Product.Kind.COURSE


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    product = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Module {n}")
    position = factory.Sequence(lambda n: n)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    body = "<p>Lesson body</p>"
    position = factory.Sequence(lambda n: n)
    drip_days = 0


class BundleItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BundleItem

    bundle = factory.SubFactory(ProductFactory, kind=Product.Kind.BUNDLE)
    product = factory.SubFactory(ProductFactory)


class GrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessGrant

    member = factory.SubFactory(UserFactory)
    product = factory.SubFactory(ProductFactory)
    state = AccessGrant.State.ACTIVE
    source = AccessGrant.Source.STRIPE
    starts_at = factory.LazyFunction(timezone.now)
    paid_through = None


# --- member area and drip (issue 5) -----------------------------------------------------------


class DownloadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.Download"

    product = factory.SubFactory(ProductFactory)
    title = factory.Sequence(lambda n: f"Download {n}")
    file = factory.django.FileField(filename="workbook.pdf", data=b"%PDF-1.4 test file")
    position = factory.Sequence(lambda n: n)


class LessonProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.LessonProgress"

    member = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)
    first_viewed_at = factory.LazyFunction(timezone.now)
    last_viewed_at = factory.LazyAttribute(lambda o: o.first_viewed_at)
    completed_at = None
