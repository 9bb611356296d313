"""The creator writes posts (listed per month, filtered by tier) and sets up tiers."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from magazine.models import Magazine, Post, PostFile, Tier
from products.admin_files import PrivateFileWidget
from products.builder_forms import RichTextField
from products.embeds import embed_url


class TierInline(admin.StackedInline):
    model = Tier
    extra = 0
    fields = [
        ("product", "rank"), ("visibility", "back_catalogue_after_months"), "included_courses",
    ]  # fmt: skip
    filter_horizontal = ["included_courses"]
    ordering = ["rank"]


@admin.register(Magazine)
class MagazineAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TierInline]


class PostForm(forms.ModelForm):
    body = RichTextField(label=capfirst(_("body")), required=False)

    class Meta:
        model = Post
        fields = "__all__"  # noqa: DJ007 - the admin's fields choose what is shown

    def clean_video_url(self) -> str:
        url = self.cleaned_data.get("video_url", "")
        if url and embed_url(url) is None:
            raise forms.ValidationError(
                _("Paste a video address from YouTube, Vimeo, Wistia or Bunny Stream.")
            )
        return url

    def clean(self):
        cleaned = super().clean()
        magazine, tiers = cleaned.get("magazine"), cleaned.get("tiers")
        if magazine and tiers and any(tier.magazine_id != magazine.pk for tier in tiers):
            self.add_error("tiers", _("Choose tiers of this post's magazine."))
        return cleaned


class PostFileInline(admin.TabularInline):
    model = PostFile
    extra = 0
    fields = ["position", "title", "file"]
    ordering = ["position", "pk"]
    formfield_overrides = {models.FileField: {"widget": PrivateFileWidget}}


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    form = PostForm
    list_display = ["title", "magazine", "publish_at", "tier_names", "announce"]
    list_filter = ["magazine", "tiers", "announce"]
    search_fields = ["title", "body"]
    date_hierarchy = "publish_at"  # the list per year and month
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["tiers"]
    fields = ["magazine", "title", "slug", "publish_at", "tiers", "announce", "body", "video_url"]
    inlines = [PostFileInline]
    list_select_related = ["magazine"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tiers__product")

    @admin.display(description=_("tiers"))
    def tier_names(self, post: Post) -> str:
        return ", ".join(tier.product.name for tier in post.tiers.all())
