"""Membership content: a magazine (a tier group), its tiers and its posts.

Each tier *is* a membership ``Product`` (one-to-one), ranked inside its magazine: prices,
checkout, webhooks and grants work per product today, so a tier needs none of them changed. A
member's tier is the tier product they hold a live grant for; a higher rank includes every post
and course of the lower ranks. A free tier is a tier whose product has no positive price: the
lead-magnet opt-in can grant its product (source ``free``) like any other.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from membership_site.model_loading import FastFromDb
from membership_site.url_cache import cached_url
from products.models import Product
from products.storage import private_storage


class Magazine(FastFromDb, models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("magazine")
        verbose_name_plural = _("magazines")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self, url_context: tuple | None = None) -> str:
        """The issues page; reversed once per process and slug, as a product's member URL."""
        return cached_url(
            "magazine",
            self.slug,
            lambda: reverse("magazine:issues", kwargs={"slug": self.slug}),
            url_context,
        )


class Tier(FastFromDb, models.Model):
    class Visibility(models.TextChoices):
        MAGAZINE = "magazine", _("Magazine: posts from the month of joining on")
        BACK_CATALOGUE = "back_catalogue", _("Back catalogue: every post")
        BACK_CATALOGUE_AFTER = (
            "back_catalogue_after",
            _("Back catalogue after some months of membership"),
        )

    magazine = models.ForeignKey(
        Magazine, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("magazine")
    )
    product = models.OneToOneField(
        Product,
        on_delete=models.CASCADE,
        related_name="tier",
        limit_choices_to={"kind": Product.Kind.MEMBERSHIP},
        verbose_name=_("membership product"),
    )
    rank = models.PositiveSmallIntegerField(
        _("rank"),
        help_text=_("0 for the free tier, higher for dearer tiers; a tier sees all lower ranks."),
    )
    visibility = models.CharField(
        _("which posts a member sees"),
        max_length=24,
        choices=Visibility.choices,
        default=Visibility.MAGAZINE,
    )
    back_catalogue_after_months = models.PositiveSmallIntegerField(
        _("back catalogue after (months)"),
        null=True,
        blank=True,
        help_text=_("Only for “back catalogue after some months”: e.g. 3."),
    )
    included_courses = models.ManyToManyField(
        Product,
        blank=True,
        related_name="included_in_tiers",
        limit_choices_to={"kind": Product.Kind.COURSE},
        verbose_name=_("included courses"),
        help_text=_("Members of this tier (and of higher tiers) open these courses for free."),
    )

    class Meta:
        ordering = ["magazine", "rank"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        constraints = [
            models.UniqueConstraint(fields=["magazine", "rank"], name="tier_rank_once"),
            models.CheckConstraint(
                condition=(
                    Q(visibility="back_catalogue_after", back_catalogue_after_months__gte=1)
                    | (
                        ~Q(visibility="back_catalogue_after")
                        & Q(back_catalogue_after_months__isnull=True)
                    )
                ),
                name="tier_months_match_visibility",
                violation_error_message=_(
                    "Give the months for “back catalogue after some months”, and only for it."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.magazine} · {self.product}"


class Post(FastFromDb, models.Model):
    magazine = models.ForeignKey(
        Magazine, on_delete=models.CASCADE, related_name="posts", verbose_name=_("magazine")
    )
    tiers = models.ManyToManyField(
        Tier,
        related_name="posts",
        verbose_name=_("tiers"),
        help_text=_("The lowest of these tiers and every higher tier see the post."),
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200)
    body = models.TextField(_("body"), blank=True, help_text=_("Rich text (HTML), sanitized."))
    video_url = models.URLField(
        _("video embed URL"),
        blank=True,
        help_text=_("An embed URL from YouTube, Vimeo, Wistia or Bunny Stream."),
    )
    publish_at = models.DateTimeField(
        _("publish at"), help_text=_("In the site's time zone. Nobody sees the post before.")
    )
    announce = models.BooleanField(
        _("announce before publishing"),
        default=False,
        help_text=_("Show the title and “opens on …” to members before the publish date."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-publish_at", "-pk"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(fields=["magazine", "slug"], name="post_slug_once"),
        ]
        indexes = [models.Index(fields=["magazine", "publish_at"], name="post_magazine_date_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("magazine:post", kwargs={"slug": self.magazine.slug, "post": self.slug})


class PostFile(models.Model):
    """A private file offered with a post, downloaded through a signed, personal link."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="files", verbose_name=_("post")
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), storage=private_storage, upload_to="post-files/%Y/%m/")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["post", "position", "pk"]
        verbose_name = _("post file")
        verbose_name_plural = _("post files")

    def __str__(self) -> str:
        return self.title
