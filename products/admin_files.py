"""Private files in the admin (paid downloads, invoice PDFs): the file's name with a signed,
staff-only link instead of a public URL, which private storage does not have.

The link names the model, the row and the field, signed with ``django.core.signing``; the view
behind it sits inside ``admin.site.admin_view`` (anyone but active staff is sent to the admin
login) and asks for the ``view`` permission of the page that shows the file before it streams it.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.apps import apps
from django.contrib.admin.widgets import AdminFileWidget
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from products.storage import is_remote, presigned_url

SALT = "products.admin-private-file"
# An admin page may stay open for a working day before its link is clicked.
LINK_MAX_AGE_SECONDS = 12 * 60 * 60
# The private file fields the admin links to: model label -> (field, permission to view it).
LINKED_FIELDS = {
    "products.download": ("file", "products.view_download"),
    "invoices.documentfile": ("pdf", "invoices.view_document"),
    "magazine.postfile": ("file", "magazine.view_post"),
}


def file_name(field_file: FieldFile) -> str:
    return PurePosixPath(field_file.name).name


def admin_file_url(field_file: FieldFile) -> str:
    """A signed admin link to a stored private file (no public URL involved)."""
    instance = field_file.instance
    payload = [instance._meta.label_lower, instance.pk, field_file.field.name]
    token = signing.dumps(payload, salt=SALT, compress=False)
    return reverse("admin_private_file", kwargs={"token": token})


def _linked_file(token: str) -> tuple[type, object, str, str]:
    try:
        label, pk, field_name = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE_SECONDS)
        linked_field, permission = LINKED_FIELDS[label]
    except (signing.BadSignature, ValueError, TypeError, KeyError) as error:
        raise Http404 from error
    if linked_field != field_name:
        raise Http404
    return apps.get_model(label), pk, field_name, permission


def private_file(request: HttpRequest, token: str) -> HttpResponse:
    """Stream a private file to staff who may view it (wrap in ``admin_view``); from a bucket,
    redirect to a presigned URL instead."""
    model, pk, field_name, permission = _linked_file(token)
    if not request.user.has_perm(permission):
        raise PermissionDenied
    instance = model._default_manager.filter(pk=pk).first()
    field_file = getattr(instance, field_name, None)
    if not field_file:
        raise Http404
    try:
        if is_remote(field_file.storage):
            url = presigned_url(field_file.storage, field_file.name, filename=file_name(field_file))
            response = HttpResponseRedirect(url)
        else:
            handle = field_file.open("rb")
            response = FileResponse(handle, as_attachment=True, filename=file_name(field_file))
    except FileNotFoundError as error:
        raise Http404 from error
    response["Cache-Control"] = "private, no-store"
    return response


class PrivateFileWidget(AdminFileWidget):
    """The admin's file input, linking the stored file through ``admin_file_url``."""

    template_name = "admin/widgets/private_clearable_file_input.html"

    def is_initial(self, value) -> bool:
        # Django asks for ``value.url``, which private storage refuses.
        return isinstance(value, FieldFile) and bool(value.name) and value.instance.pk is not None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if context["widget"]["is_initial"]:
            context["widget"]["href"] = admin_file_url(value)
            context["widget"]["file_name"] = file_name(value)
        return context
