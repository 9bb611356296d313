from functools import partial

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.models import Order
from products.admin_builder import course_builder_view, course_order_view
from products.admin_files import PrivateFileWidget
from products.admin_money import PriceForm
from products.admin_sellable import SellableFilter, sales_state, warn_if_unsellable
from products.builder_forms import LessonForm, ProductForm
from products.course_builder import next_lesson_position, next_module_position
from products.covers import store_cover, store_lesson_image
from products.duplicate import duplicate_product
from products.models import (
    BundleItem,
    Download,
    Lesson,
    LessonAttachment,
    LessonImage,
    Module,
    Price,
    Product,
)
from products.selectors import drip_preview


def _connect_payments_help() -> str:
    return format_html(
        '{} <a href="{}">{}</a>',
        _(
            "Stripe sells a price with a Stripe price id (price_…); Digistore24 sells the product "
            "with its number from your Digistore24 vendor account."
        ),
        reverse("admin:connect_payments"),
        _("Webhook addresses and checks: Connect payments"),
    )


CONNECT_PAYMENTS_HELP = lazy(_connect_payments_help, str)()


class PriceInline(admin.TabularInline):
    model = Price
    form = PriceForm
    extra = 0
    fields = [
        "nickname", "amount", "currency", "billing_type", "interval", "interval_count",
        "trial_days", "stripe_price_id", "is_active",
    ]  # fmt: skip


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0
    fields = ["title", "lesson_count"]
    readonly_fields = ["lesson_count"]
    ordering = ["position", "pk"]
    show_change_link = True
    verbose_name_plural = _("modules (reorder them and their lessons in the course builder)")

    @admin.display(description=_("lessons"))
    def lesson_count(self, module: Module) -> int:
        return module.lessons.count() if module.pk else 0


class DownloadInline(admin.TabularInline):
    model = Download
    extra = 0
    fields = ["position", "title", "file"]
    ordering = ["position", "pk"]
    # Downloads are private: no public URL, so the widget links through a staff-only view.
    formfield_overrides = {models.FileField: {"widget": PrivateFileWidget}}


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    fk_name = "bundle"
    extra = 0
    autocomplete_fields = ["product"]
    verbose_name_plural = _("products in this bundle")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_published", "price_summary", "sales_state"]
    list_filter = ["kind", "is_published", SellableFilter]
    search_fields = ["name", "slug", "digistore24_product_id", "prices__stripe_price_id"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["drip_schedule"]
    actions = ["publish", "unpublish", "duplicate"]
    form = ProductForm
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "description", "is_published", "position"]}),
        (_("Sales page"), {"fields": ["cover", "whats_included"]}),
        (
            _("Access rules"),
            {
                "fields": [
                    "activation_window_days",
                    "activation_window_action",
                    "restart_drip_on_repurchase",
                    "requires_withdrawal_waiver",
                ]
            },
        ),
        (
            _("Payment providers"),
            {"fields": ["digistore24_product_id"], "description": CONNECT_PAYMENTS_HELP},
        ),
        (_("Drip schedule"), {"fields": ["drip_schedule"]}),
    ]

    def get_inlines(self, request, obj):
        inlines = [PriceInline]
        if obj is None:
            return inlines
        if obj.kind == Product.Kind.COURSE:
            inlines.append(ModuleInline)
        if obj.kind == Product.Kind.BUNDLE:
            inlines.append(BundleItemInline)
        inlines.append(DownloadInline)
        return inlines

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("prices")

    def get_urls(self):
        builder = self.admin_site.admin_view(partial(course_builder_view, self))
        order = self.admin_site.admin_view(partial(course_order_view, self))
        return [
            path("<int:pk>/builder/", builder, name="products_product_builder"),
            path("<int:pk>/builder/order/", order, name="products_product_builder_order"),
            *super().get_urls(),
        ]

    def save_formset(self, request, form, formset, change):
        place_new_items_last(formset)
        super().save_formset(request, form, formset, change)

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data.get("cover")
        if "cover" in form.changed_data and upload:
            store_cover(product=obj, upload=upload)
        super().save_model(request, obj, form, change)
        if change and "requires_withdrawal_waiver" in form.changed_data:
            self._release_withheld(request, obj)

    def _release_withheld(self, request, product: Product) -> None:
        """Switched off: buyers who did not waive their withdrawal right get in now."""
        if product.requires_withdrawal_waiver:
            return
        from billing.waiver import release_withheld_grants

        opened = release_withheld_grants(product=product, now=timezone.now(), actor=request.user)
        if opened:
            message = ngettext(
                "%(count)d member waiting for the withdrawal period got access now.",
                "%(count)d members waiting for the withdrawal period got access now.",
                len(opened),
            )
            self.message_user(request, message % {"count": len(opened)}, messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        warn_if_unsellable(request, form.instance)

    def get_deleted_objects(self, objs, request):
        # Orders are read-only (no Delete), yet they only protect a product: show them as the
        # protected reason ("unpublish instead"), not as a missing permission.
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            perms_needed.discard(Order._meta.verbose_name)
        return deleted, model_count, perms_needed, protected

    @admin.display(description=_("sales"))
    def sales_state(self, product: Product) -> str:
        return sales_state(product)

    @admin.display(description=_("prices"))
    def price_summary(self, product: Product) -> str:
        return ", ".join(price.display_amount for price in product.prices.all()) or "—"

    @admin.display(description=_("drip preview"))
    def drip_schedule(self, product: Product) -> str:
        if product.pk is None or product.kind != Product.Kind.COURSE:
            return _("Only courses have a drip schedule.")
        rows = drip_preview(product)
        if not rows:
            return _("No lessons yet.")
        return format_html(
            "<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("module"),
            _("lesson"),
            _("opens"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((row.number, row.module, row.lesson, row.opens) for row in rows),
            ),
        )

    @admin.action(description=_("Publish the selected products"))
    def publish(self, request, queryset):
        updated = queryset.update(is_published=True)
        self.message_user(request, _("%(count)d products published.") % {"count": updated})

    @admin.action(description=_("Duplicate the selected products (unpublished copies)"))
    def duplicate(self, request, queryset):
        for product in queryset.order_by("pk"):
            copy = duplicate_product(product=product)
            self.message_user(
                request,
                format_html(
                    _(
                        'Copied “{name}” as <a href="{url}">{copy}</a> (unpublished; give its '
                        "prices their own Stripe price ids)."
                    ),
                    name=product.name,
                    copy=copy.name,
                    url=reverse("admin:products_product_change", args=[copy.pk]),
                ),
            )

    @admin.action(description=_("Unpublish the selected products"))
    def unpublish(self, request, queryset):
        updated = queryset.update(is_published=False)
        self.message_user(request, _("%(count)d products unpublished.") % {"count": updated})


def place_new_items_last(formset) -> None:
    """A module or lesson added through an inline goes after the last one, not at 0."""
    for inline_form in formset.forms:
        item = inline_form.instance
        if item.pk is not None or not inline_form.has_changed():
            continue
        if isinstance(item, Module) and "position" not in inline_form.changed_data:
            item.position = next_module_position(product=item.product)
        if isinstance(item, Lesson) and "position" not in inline_form.changed_data:
            item.position = next_lesson_position(module=item.module)


class LessonInline(admin.StackedInline):
    model = Lesson
    form = LessonForm
    extra = 0
    ordering = ["position", "pk"]
    show_change_link = True
    fields = [
        "title", "body", "video_url", ("drip_days", "opens_on"), "is_free_preview",
    ]  # fmt: skip


class LessonImageInline(admin.TabularInline):
    model = LessonImage
    extra = 0
    fields = ["image", "alt_text", "markup"]
    readonly_fields = ["markup"]
    verbose_name_plural = _("images (upload, save, then paste the address into the text)")

    @admin.display(description=_("address to use in the text"))
    def markup(self, image: LessonImage) -> str:
        if not image.pk or not image.image:
            return "—"
        return format_html('<code class="lesson-image-url">{}</code>', image.image.url)


class LessonAttachmentInline(admin.TabularInline):
    model = LessonAttachment
    extra = 0
    fields = ["position", "title", "file"]
    ordering = ["position", "pk"]
    formfield_overrides = {models.FileField: {"widget": PrivateFileWidget}}


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "product", "position", "lesson_total"]
    list_filter = ["product"]
    search_fields = ["title", "product__name"]
    inlines = [LessonInline]

    def save_model(self, request, obj, form, change):
        if not change and "position" not in form.changed_data:
            obj.position = next_module_position(product=obj.product)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        place_new_items_last(formset)
        super().save_formset(request, form, formset, change)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lesson_total=Count("lessons"))

    @admin.display(description=_("lessons"), ordering="lesson_total")
    def lesson_total(self, module: Module) -> int:
        return module.lesson_total


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "module", "position", "drip_days", "opens_on", "is_free_preview"]
    list_filter = ["module__product", "is_free_preview"]
    search_fields = ["title", "module__title", "module__product__name"]
    list_select_related = ["module__product"]
    form = LessonForm
    inlines = [LessonImageInline, LessonAttachmentInline]

    def save_model(self, request, obj, form, change):
        if not change and "position" not in form.changed_data:
            obj.position = next_lesson_position(module=obj.module)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            image = inline_form.instance
            if isinstance(image, LessonImage) and "image" in inline_form.changed_data:
                upload = inline_form.cleaned_data.get("image")
                if upload:
                    store_lesson_image(image=image, upload=upload)
        super().save_formset(request, form, formset, change)
