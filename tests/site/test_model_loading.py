"""Rows loaded without ``Model.__init__`` (``membership_site.model_loading``) are the instances
Django would have built; models it cannot build so go through Django's own path."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Model
from django.db.models.signals import post_init, pre_init
from django.test.utils import isolate_apps
from django.urls import reverse
from django.utils import timezone

from members.models import AccessGrant, User
from membership_site.model_loading import FastFromDb, fast_attnames
from products.models import Product
from tests.factories import GrantFactory, ProductFactory

FAST_MODELS = [model for model in apps.get_models() if issubclass(model, FastFromDb)]


def _state(instance) -> dict:
    found = dict(vars(instance))
    state = found.pop("_state")
    return {"fields": found, "adding": state.adding, "db": state.db}


def test_the_member_pages_models_load_the_short_way():
    """The models every member page reads take the short way (else the mixin does nothing)."""
    names = {model.__name__ for model in FAST_MODELS}
    assert {"User", "AccessGrant", "Product", "Lesson", "Module", "Tier", "Magazine"} <= names
    assert [model.__name__ for model in FAST_MODELS if fast_attnames(model) is None] == []


@pytest.mark.parametrize("model", FAST_MODELS, ids=lambda model: model.__name__)
def test_a_full_row_gives_the_instance_django_builds(model):
    """Each field gets its own value (distinct objects, so a shifted column would show)."""
    names = [field.attname for field in model._meta.concrete_fields]
    values = [object() for _name in names]
    fast = model.from_db("default", names, values)
    django = Model.from_db.__func__(model, "default", names, values)
    assert type(fast) is model
    assert _state(fast) == _state(django)
    assert _state(fast)["fields"] == dict(zip(names, values, strict=True))
    assert (fast._state.adding, fast._state.db) == (False, "default")


@pytest.mark.django_db
def test_loaded_rows_read_save_and_follow_relations_as_before():
    grant = GrantFactory(product=ProductFactory(name="Yoga"))
    loaded = AccessGrant.objects.select_related("product").get(pk=grant.pk)
    assert loaded.product.name == "Yoga"
    assert loaded.member == grant.member  # a relation not selected: read on access
    assert loaded.member.email == grant.member.email
    loaded.paid_through = timezone.now()
    loaded.save(update_fields=["paid_through"])
    assert AccessGrant.objects.get(pk=grant.pk).paid_through == loaded.paid_through
    assert not loaded._state.adding  # saving updated the row, it did not insert another
    assert AccessGrant.objects.count() == 1


@pytest.mark.django_db
def test_deferred_fields_load_on_access_as_before():
    product = ProductFactory(name="Yoga", description="<p>Long</p>")
    loaded = Product.objects.only("name").get(pk=product.pk)
    assert loaded.get_deferred_fields() >= {"description", "slug"}
    assert loaded.description == "<p>Long</p>"


@pytest.mark.django_db
def test_init_signals_are_still_sent_with_what_django_sends():
    product = ProductFactory()
    seen = []

    def before(sender, args, kwargs, **_):
        seen.append(("pre", sender, args[0], kwargs))

    def after(sender, instance, **_):
        seen.append(("post", sender, instance.pk, instance._state.adding))

    pre_init.connect(before, sender=Product)
    post_init.connect(after, sender=Product)
    try:
        Product.objects.get(pk=product.pk)
    finally:
        pre_init.disconnect(before, sender=Product)
        post_init.disconnect(after, sender=Product)
    # As Model.__init__: the row's values, no keywords; _state set after post_init.
    assert seen == [("pre", Product, product.pk, {}), ("post", Product, product.pk, True)]


@isolate_apps("products")
def test_a_model_whose_fields_do_more_when_set_goes_through_django():
    class Upper:
        def __set_name__(self, owner, name):
            self.name = name

        def __get__(self, instance, owner=None):
            return self if instance is None else instance.__dict__[self.name]

        def __set__(self, instance, value):
            instance.__dict__[self.name] = value.upper()

    class Shouting(FastFromDb, models.Model):  # noqa: DJ008 - never shown
        word = models.CharField(max_length=10)

        class Meta:
            app_label = "products"

    Shouting.word = Upper()
    Shouting.word.__set_name__(Shouting, "word")

    class Counted(FastFromDb, models.Model):  # noqa: DJ008 - never shown
        class Meta:
            app_label = "products"

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.counted = True

    assert fast_attnames(Shouting) is None
    assert Shouting.from_db("default", ["id", "word"], [1, "hey"]).word == "HEY"
    assert fast_attnames(Counted) is None
    assert Counted.from_db("default", ["id"], [1]).counted


@pytest.mark.django_db
def test_a_cover_without_stored_dimensions_is_not_opened_on_every_load(client, settings):
    """A cover whose row lacks its size (and whose file is gone) no longer breaks loading the
    product: Django's ImageField opened the file on each load to measure it."""
    product = ProductFactory(name="Yoga", is_published=True)
    Product.objects.filter(pk=product.pk).update(
        cover="covers/gone.jpg", cover_width=None, cover_height=None
    )
    loaded = Product.objects.get(pk=product.pk)
    assert (loaded.cover.name, loaded.cover_width, loaded.cover_height) == (
        "covers/gone.jpg",
        None,
        None,
    )
    page = client.get(reverse("products:catalog"))
    assert page.status_code == 200
    assert "covers/gone.jpg" in page.content.decode()  # shown, without width and height


@pytest.mark.django_db
def test_a_member_loads_with_the_session_checks_unchanged(client):
    member = User.objects.create_user(email="ann@example.test", password="pw-long-enough-1")
    client.force_login(member)
    assert client.get(reverse("members:dashboard")).status_code == 200
    member.set_password("another-long-one-2")
    member.save()
    page = client.get(reverse("members:dashboard"))
    assert page.status_code == 302  # the old session's hash no longer matches: logged out


@pytest.mark.django_db
def test_a_stored_cover_given_to_a_new_product_is_measured_when_saved():
    """Django measured such a file when the instance was made; the field measures it on save."""
    from io import BytesIO

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    image = BytesIO()
    Image.new("RGB", (64, 36), (200, 80, 40)).save(image, "JPEG")
    name = default_storage.save("covers/stored.jpg", ContentFile(image.getvalue()))
    product = ProductFactory(cover=name)
    copy = Product.objects.create(name="Copy", slug="copy", cover=product.cover)
    for saved in (product, copy):
        loaded = Product.objects.get(pk=saved.pk)
        assert (loaded.cover_width, loaded.cover_height) == (64, 36)
