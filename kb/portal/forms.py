"""Portal forms: they validate, nothing more."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tickets.inbound import InboundAttachment

MAX_FILES = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Attach at most %(count)s files.") % {"count": MAX_FILES})
        limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
        for upload in files:
            if upload.size > limit:
                raise forms.ValidationError(
                    _("%(name)s is too large (at most %(mb)s MB).") % {"name": upload.name, "mb": limit // 1_048_576}
                )
        return files


def inbound_attachments(files) -> list[InboundAttachment]:
    return [
        InboundAttachment(
            filename=upload.name,
            content_type=upload.content_type or "application/octet-stream",
            content=upload.read(),
        )
        for upload in files
    ]


class SigninForm(forms.Form):
    address = forms.CharField(
        label=_("Email address or mobile number"),
        max_length=320,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email", "autofocus": True}),
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": _("Enter the six digits of the code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"[0-9 ]*", "autofocus": True}
        ),
    )


class RequestForm(forms.Form):
    request_uuid = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    text = forms.CharField(label=_("How can we help?"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class GuestRequestForm(RequestForm):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Your email address"), max_length=254)

    field_order = ["name", "email", "subject", "text", "attachments"]


class ReplyForm(forms.Form):
    request_uuid = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    text = forms.CharField(label=_("Your reply"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class SurveyForm(forms.Form):
    """The score as buttons on the survey's own scale, and an optional comment."""

    comment = forms.CharField(label=_("Anything you want to add? (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def __init__(self, *args, scale: tuple[int, int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        low, high = scale
        self.fields["score"] = forms.TypedChoiceField(
            label=_("Your answer"),
            choices=[(n, str(n)) for n in range(low, high + 1)],
            coerce=int,
            widget=forms.RadioSelect,
        )
        self.order_fields(["score", "comment"])
