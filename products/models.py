"""The catalog: products, prices, courses (modules and lessons), downloads and bundles."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from membership_site.model_loading import FastFromDb
from membership_site.url_cache import cached_url
from products.fields import SizedImageField
from products.richtext import sanitize_html
from products.storage import private_storage


def _default_currency() -> str:
    return settings.MEMBERSHIP_CURRENCY


def new_outline_version() -> int:
    """A random start, so a product that reuses a deleted one's id never meets its cached
    outline (``products.outline``); database triggers count up from here."""
    return secrets.randbits(48)


class Product(FastFromDb, models.Model):
    class Kind(models.TextChoices):
        DOWNLOAD = "download", _("Download")
        COURSE = "course", _("Course")
        MEMBERSHIP = "membership", _("Membership")
        BUNDLE = "bundle", _("Bundle")

    class ActivationWindowAction(models.TextChoices):
        EXPIRE = "expire", _("Expire the access")
        MARK = "mark", _("Keep the access and mark it as never used")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Rich text (HTML). Scripts and unsafe markup are removed when shown."),
    )
    cover = SizedImageField(
        _("cover image"),
        upload_to="covers/",
        blank=True,
        width_field="cover_width",
        height_field="cover_height",
        help_text=_(
            "Shown on the catalog and the sales page (public). Resized to at most "
            "1600 × 1600 pixels when saved; a wide image (16:9) looks best."
        ),
    )
    cover_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    cover_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    whats_included = models.TextField(
        _("what's included"),
        blank=True,
        help_text=_(
            "Shown on the sales page under “What's included”, e.g. a list of what a member "
            "gets. Rich text (HTML), sanitized like the description."
        ),
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published products are sold and shown.")
    )
    activation_window_days = models.PositiveIntegerField(
        _("activation window (days)"),
        null=True,
        blank=True,
        help_text=_("If set, the buyer must first use the product within this many days."),
    )
    activation_window_action = models.CharField(
        _("when the activation window passes unused"),
        max_length=10,
        choices=ActivationWindowAction.choices,
        default=ActivationWindowAction.MARK,
    )
    restart_drip_on_repurchase = models.BooleanField(
        _("restart the drip schedule on a new purchase"),
        default=False,
        help_text=_("Off: a member who buys again continues from their original start."),
    )
    digistore24_product_id = models.CharField(
        _("Digistore24 product id"), max_length=50, blank=True, db_index=True
    )
    requires_withdrawal_waiver = models.BooleanField(
        _("buyers waive the withdrawal right at checkout"),
        default=True,
        help_text=_(
            "On: before paying, the buyer must agree that access starts at once and that the "
            "14-day withdrawal right then ends; a purchase without that consent opens after 14 "
            "days. Off: access starts at once without it. Free products and Digistore24 orders "
            "never need it."
        ),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Changes whenever the product or any of its modules, lessons or lesson files changes, by
    # whatever path (admin, course builder, bulk edits, raw SQL): database triggers bump it
    # (migration products 0004). The member pages' outline cache is keyed by it.
    outline_version = models.BigIntegerField(default=new_outline_version, editable=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(
                fields=["digistore24_product_id"],
                condition=~Q(digistore24_product_id=""),
                name="product_digistore24_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self, url_context: tuple | None = None) -> str:
        """The member's page; reversed once per process and slug (a lesson page writes it twice).
        ``url_context``: ``membership_site.url_cache.url_context()``, if the caller has it."""
        return cached_url(
            "product",
            self.slug,
            lambda: reverse("members:product", kwargs={"slug": self.slug}),
            url_context,
        )

    def get_catalog_url(self) -> str:
        return reverse("products:detail", kwargs={"slug": self.slug})

    @property
    def tier_or_none(self):
        """The membership tier this product sells (``magazine.Tier``), or None.

        ``getattr(product, "tier", None)`` gives the same, but Django's descriptor raises (and
        getattr catches) an exception for every product that is no tier, even when
        ``select_related`` already found none (the course page: 65,000 instructions).
        """
        related = type(self).tier.related
        if related.is_cached(self):
            return related.get_cached_value(self)
        return getattr(self, "tier", None)

    @property
    def is_course(self) -> bool:
        return self.kind == self.Kind.COURSE

    @property
    def is_bundle(self) -> bool:
        return self.kind == self.Kind.BUNDLE


class Price(FastFromDb, models.Model):
    class BillingType(models.TextChoices):
        ONE_TIME = "one_time", _("One-time")
        RECURRING = "recurring", _("Recurring")

    class Interval(models.TextChoices):
        DAY = "day", _("day")
        WEEK = "week", _("week")
        MONTH = "month", _("month")
        YEAR = "year", _("year")

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="prices", verbose_name=_("product")
    )
    nickname = models.CharField(_("label"), max_length=100, blank=True)
    amount = models.PositiveIntegerField(
        _("amount (minor units)"), help_text=_("In cents: 4900 is 49.00.")
    )
    currency = models.CharField(_("currency"), max_length=3, default=_default_currency)
    billing_type = models.CharField(
        _("billing"), max_length=10, choices=BillingType.choices, default=BillingType.ONE_TIME
    )
    interval = models.CharField(_("interval"), max_length=5, choices=Interval.choices, blank=True)
    interval_count = models.PositiveSmallIntegerField(_("interval count"), default=1)
    trial_days = models.PositiveSmallIntegerField(_("trial days"), default=0)
    stripe_price_id = models.CharField(
        _("Stripe price id"), max_length=255, null=True, blank=True, unique=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "amount"]
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.CheckConstraint(
                condition=Q(billing_type="one_time", interval="")
                | (Q(billing_type="recurring") & ~Q(interval="")),
                name="price_interval_matches_billing_type",
                violation_error_message=_(
                    "A recurring price needs an interval; a one-time price has none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(interval_count__gte=1), name="price_interval_count_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} · {self.display_amount}"

    def clean(self) -> None:
        super().clean()
        self.currency = (self.currency or "").upper()
        if self.stripe_price_id == "":
            self.stripe_price_id = None
        if self.billing_type == self.BillingType.RECURRING and not self.interval:
            raise ValidationError({"interval": _("A recurring price needs an interval.")})
        if self.billing_type == self.BillingType.ONE_TIME and self.interval:
            raise ValidationError({"interval": _("A one-time price has no interval.")})
        if self.billing_type == self.BillingType.ONE_TIME and self.trial_days:
            raise ValidationError({"trial_days": _("Only recurring prices can have a trial.")})

    @property
    def is_recurring(self) -> bool:
        return self.billing_type == self.BillingType.RECURRING

    @property
    def display_amount(self) -> str:
        from products.money import format_money

        return format_money(self.amount, self.currency)


class Module(FastFromDb, models.Model):
    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="modules",
        limit_choices_to={"kind": Product.Kind.COURSE},
        verbose_name=_("course"),
    )
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["product", "position", "pk"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self) -> str:
        return f"{self.product} · {self.title}"

    def clean(self) -> None:
        super().clean()
        if self.product_id and self.product.kind != Product.Kind.COURSE:
            raise ValidationError({"product": _("Modules belong to course products only.")})


class LessonQuerySet(models.QuerySet):
    """Bulk writes keep ``body_html`` in step with ``body``, as ``Lesson.save()`` does."""

    def update(self, **kwargs):
        if "body" in kwargs and "body_html" not in kwargs:
            body = kwargs["body"]
            kwargs["body_html"] = sanitize_html(body) if isinstance(body, str) else None
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for lesson in objs:
            lesson.body_html = sanitize_html(lesson.body)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if "body" in fields:
            for lesson in objs:
                lesson.body_html = sanitize_html(lesson.body)
            fields = [*fields, "body_html"]
        return super().bulk_update(objs, fields, *args, **kwargs)


class Lesson(FastFromDb, models.Model):
    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, related_name="lessons", verbose_name=_("module")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True, help_text=_("Rich text (HTML), sanitized."))
    # ``body`` sanitized when it is saved, so a lesson view does not run nh3 (issue 20); NULL
    # when unknown (``body_clean`` then sanitizes on the fly).
    body_html = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001 - NULL: unknown
    video_url = models.URLField(
        _("video embed URL"),
        blank=True,
        help_text=_("An embed URL from YouTube, Vimeo, Wistia or Bunny Stream."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    drip_days = models.PositiveIntegerField(
        _("opens after (days)"),
        null=True,
        blank=True,
        default=0,
        help_text=_("Days after access starts (0 = at once). Leave empty to use a fixed date."),
    )
    opens_on = models.DateField(
        _("opens on (fixed date)"),
        null=True,
        blank=True,
        help_text=_("A fixed opening date instead of an offset."),
    )
    is_free_preview = models.BooleanField(
        _("free preview"),
        default=False,
        help_text=_("Readable by anyone from the sales page, without buying or logging in."),
    )

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["module__position", "module_id", "position", "pk"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.CheckConstraint(
                condition=Q(drip_days__isnull=True) | Q(opens_on__isnull=True),
                name="lesson_offset_or_date_not_both",
                violation_error_message=_(
                    "A lesson opens after an offset or on a fixed date, not both."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if "body" in self.__dict__:  # not deferred: it may have changed
            self.body_html = sanitize_html(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "members:lesson",
            kwargs={"slug": self.module.product.slug, "lesson_pk": self.pk},
        )

    def get_preview_url(self) -> str:
        """The public page of a free-preview lesson (404 for any other lesson)."""
        return reverse(
            "products:lesson_preview",
            kwargs={"slug": self.module.product.slug, "lesson_pk": self.pk},
        )

    def clean(self) -> None:
        super().clean()
        if self.drip_days is not None and self.opens_on is not None:
            message = _("A lesson opens after an offset or on a fixed date, not both.")
            raise ValidationError({"drip_days": message, "opens_on": message})

    @property
    def offset_days(self) -> int:
        return self.drip_days or 0

    @property
    def body_clean(self) -> SafeString:
        """The body as members read it: scripts, handlers and unsafe URLs removed."""
        if self.body_html is None:
            return sanitize_html(self.body)
        return mark_safe(self.body_html)  # noqa: S308 - sanitized when saved


class Download(FastFromDb, models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="downloads", verbose_name=_("product")
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), storage=private_storage, upload_to="downloads/%Y/%m/")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["product", "position", "pk"]
        verbose_name = _("download")
        verbose_name_plural = _("downloads")

    def __str__(self) -> str:
        return self.title


class BundleItem(models.Model):
    bundle = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="bundle_items",
        limit_choices_to={"kind": Product.Kind.BUNDLE},
        verbose_name=_("bundle"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("included product"),
    )

    class Meta:
        verbose_name = _("bundle item")
        verbose_name_plural = _("bundle items")
        constraints = [
            models.UniqueConstraint(fields=["bundle", "product"], name="bundle_item_once"),
            models.CheckConstraint(
                condition=~Q(bundle=F("product")),
                name="bundle_not_in_itself",
                violation_error_message=_("A bundle cannot contain itself."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bundle} ⊃ {self.product}"

    def clean(self) -> None:
        super().clean()
        if not (self.bundle_id and self.product_id):
            return
        if self.bundle_id == self.product_id:
            raise ValidationError({"product": _("A bundle cannot contain itself.")})
        if self.bundle.kind != Product.Kind.BUNDLE:
            raise ValidationError(_("Only bundle products contain other products."))
        if self.product.kind == Product.Kind.BUNDLE:
            raise ValidationError({"product": _("A bundle contains products, not other bundles.")})


class LessonAttachment(FastFromDb, models.Model):
    """A private file offered beside one lesson, downloaded like a product's Download."""

    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("lesson")
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), storage=private_storage, upload_to="lesson-files/%Y/%m/")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["lesson", "position", "pk"]
        verbose_name = _("lesson attachment")
        verbose_name_plural = _("lesson attachments")

    def __str__(self) -> str:
        return self.title


class LessonImage(models.Model):
    """An image uploaded into a lesson: resized once, served from the public media folder."""

    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="images", verbose_name=_("lesson")
    )
    image = SizedImageField(
        _("image"),
        upload_to="lesson-images/",
        width_field="width",
        height_field="height",
        help_text=_("Resized to at most 1600 × 1600 pixels when saved."),
    )
    alt_text = models.CharField(
        _("text alternative"),
        max_length=300,
        blank=True,
        help_text=_("Describes the image for members who cannot see it."),
    )
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["lesson", "pk"]
        verbose_name = _("lesson image")
        verbose_name_plural = _("lesson images")

    def __str__(self) -> str:
        return self.alt_text or self.image.name
