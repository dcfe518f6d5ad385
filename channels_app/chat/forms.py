"""The widget's forms: the pre-chat form, and the message left while nobody is online."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.services.identities import InvalidAddress, normalize_phone


class PreChatForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Email (optional)"), required=False, max_length=320)
    phone = forms.CharField(label=_("Phone (optional)"), required=False, max_length=40)

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone:
            try:
                normalize_phone(phone)
            except InvalidAddress:
                raise forms.ValidationError(_("Enter a valid phone number.")) from None
        return phone


class OfflineMessageForm(PreChatForm):
    """Nobody can chat now: the message becomes a ticket, answered by email or SMS,
    so one of the two is required."""

    message = forms.CharField(label=_("Your message"), max_length=4000, widget=forms.Textarea)
    id = forms.UUIDField(required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone") and not self.errors.get("phone"):
            raise forms.ValidationError(_("Give an email address or a phone number, so that we can answer you."))
        return cleaned

    @property
    def reply_channel(self) -> str:
        return "email" if self.cleaned_data.get("email") else "sms"


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    return {field: [str(error) for error in errors] for field, errors in form.errors.items()}
