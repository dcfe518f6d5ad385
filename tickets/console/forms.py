"""Forms of the agent console: they validate what the browser sends, nothing more."""

from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel, Customer, Team, Ticket
from tickets.selectors.console import INBOX_SORTS, INBOX_VIEWS, staff_users
from tickets.selectors.inbox import TicketFilters
from tickets.services.replies import ReplyError, attachments_check


class InboxFilterForm(forms.Form):
    view = forms.ChoiceField(choices=[(v, v) for v in INBOX_VIEWS], required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.MultipleChoiceField(label=_("Status"), choices=Ticket.Status.choices, required=False)
    channel = forms.MultipleChoiceField(label=_("Channel"), choices=Channel.choices, required=False)
    priority = forms.TypedMultipleChoiceField(
        label=_("Priority"), choices=Ticket.Priority.choices, coerce=int, required=False
    )
    tag = forms.SlugField(label=_("Tag"), required=False, allow_unicode=True, max_length=60)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    # Evaluated per form, as agents come and go: each form's copy of the field copies
    # the queryset unevaluated (ModelChoiceField.__deepcopy__).
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=staff_users(), required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=[("", _("Last activity")), *INBOX_SORTS], required=False)

    def ticket_filters(self) -> TicketFilters:
        data = self.cleaned_data
        return TicketFilters(
            status=data.get("status") or None,
            channel=data.get("channel") or None,
            priority=data.get("priority") or None,
            team_id=data["team"].pk if data.get("team") else None,
            assignee_id=data["assignee"].pk if data.get("assignee") else None,
            tag=(data.get("tag") or "").lower(),
        )


class IdListField(forms.Field):
    """Ticket ids from the inbox's checkboxes; the service ignores ids that do not exist."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = value or []
        if not all(str(item).isdigit() and len(str(item)) < 19 for item in values):
            raise forms.ValidationError(_("Invalid ticket selection."))
        return sorted({int(item) for item in values})


class BulkActionForm(forms.Form):
    ACTIONS = [
        ("assign", _("Assign")),
        ("assign_me", _("Assign to me")),
        ("unassign", _("Unassign")),
        ("status", _("Set status")),
        ("priority", _("Set priority")),
        ("tag", _("Add tag")),
    ]

    tickets = IdListField(error_messages={"required": _("Select at least one ticket.")})
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.ModelChoiceField(queryset=staff_users(), required=False)
    status = forms.ChoiceField(choices=[("", "—"), *Ticket.Status.choices], required=False)
    priority = forms.TypedChoiceField(
        choices=[("", "—"), *Ticket.Priority.choices], coerce=int, required=False, empty_value=None
    )
    tag = forms.SlugField(required=False, allow_unicode=True, max_length=60)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        required = {"assign": "assignee", "status": "status", "priority": "priority", "tag": "tag"}.get(action)
        if required and not data.get(required):
            self.add_error(required, _("Choose a value for this action."))
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """The files of a reply, within the limits of tickets.services.replies.attachments_check."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        try:
            return attachments_check(data if isinstance(data, list | tuple) else [data])
        except ReplyError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ReplyForm(forms.Form):
    KINDS = [("reply", _("Reply")), ("note", _("Internal note"))]

    kind = forms.ChoiceField(choices=KINDS, initial="reply")
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, required=False)
    text = forms.CharField(label=_("Message"), widget=forms.Textarea, max_length=20_000, strip=True, required=False)
    attachments = AttachmentsField(label=_("Attachments"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Evaluated per form: channels are added as adapters arrive.
        self.fields["channel"].choices = Channel.choices

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("attachments"):
            raise forms.ValidationError(_("Write a message or attach a file."))
        if data.get("kind") == "note" and data.get("attachments"):
            self.add_error("attachments", _("Internal notes cannot carry files."))
        return data


class TicketUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "—"), *Ticket.Status.choices], required=False)
    priority = forms.TypedChoiceField(
        choices=[("", "—"), *Ticket.Priority.choices], coerce=int, required=False, empty_value=None
    )
    assignee = forms.ModelChoiceField(queryset=staff_users(), required=False)
    assign_to_me = forms.BooleanField(required=False)
    unassign = forms.BooleanField(required=False)
    tags = forms.CharField(required=False, max_length=300, help_text=_("Comma-separated"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()

    def tag_names(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data.get("tags", "").split(",") if name.strip()]


class MacroApplyForm(forms.Form):
    macro = forms.IntegerField(min_value=1)
    channel = forms.ChoiceField(choices=Channel.choices, required=False)


class ApprovalForm(forms.Form):
    DECISIONS = [("approve", _("Approve")), ("edit", _("Edit and approve")), ("reject", _("Reject"))]

    decision = forms.ChoiceField(choices=DECISIONS)
    text = forms.CharField(widget=forms.Textarea, required=False, max_length=20_000)
    note = forms.CharField(widget=forms.Textarea, required=False, max_length=2000)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "edit" and not (data.get("text") or "").strip():
            self.add_error("text", _("Write the corrected reply."))
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Tell the agent why."))
        return data


class CannedResponseForm(forms.Form):
    SCOPES = [("personal", _("Personal: only me")), ("team", _("Team")), ("shared", _("Shared: everyone"))]

    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
        help_text=_("Placeholders: {{customer.name}}, {{ticket.reference}}, {{ticket.subject}}, {{agent.name}}"),
    )
    scope = forms.ChoiceField(label=_("Who can use it"), choices=SCOPES, initial="personal", widget=forms.RadioSelect)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    tier = forms.ChoiceField(label=_("Tier"), choices=Customer.Tier.choices)
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *settings.LANGUAGES], required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)


class IdentityAddForm(forms.Form):
    address = forms.CharField(
        label=_("Add an address"),
        max_length=320,
        widget=forms.TextInput(attrs={"placeholder": _("email, phone or whatsapp:+66…")}),
    )


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("Merge into"),
        max_length=320,
        help_text=_("The other customer's email, phone or customer number (#123)."),
    )


class ConversationStartForm(forms.Form):
    to = forms.CharField(
        label=_("To"),
        max_length=320,
        widget=forms.TextInput(attrs={"placeholder": _("email, phone or #customer number"), "autocomplete": "off"}),
    )
    channel = forms.ChoiceField(label=_("Channel"))
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    text = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    template_sid = forms.CharField(
        label=_("WhatsApp template"),
        max_length=34,
        required=False,
        help_text=_("Outside the 24-hour window WhatsApp delivers only an approved template (its id starts with HX)."),
    )
    template_variables = forms.CharField(
        label=_("Template values"), max_length=1000, required=False, help_text=_("One per line: {{1}}, {{2}}…"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    attachments = AttachmentsField(label=_("Attachments"), required=False)

    def __init__(self, *args, channels: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channels

    def variables(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("template_variables", "").splitlines() if line.strip()]


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    query = forms.CharField(max_length=1000, required=False, widget=forms.HiddenInput)


class SLAPolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=[("", _("Any")), *Ticket.Priority.choices], coerce=int, required=False,
        empty_value=None,
    )  # fmt: skip
    tier = forms.ChoiceField(label=_("Customer tier"), choices=[("", _("Any")), *Customer.Tier.choices], required=False)
    first_response_minutes = forms.IntegerField(
        label=_("First response (business minutes)"), min_value=1, max_value=525_600
    )
    resolution_minutes = forms.IntegerField(label=_("Resolution (business minutes)"), min_value=1, max_value=5_256_000)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


WEEKDAYS = [
    (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
    (5, _("Saturday")), (6, _("Sunday")),
]  # fmt: skip


class CalendarForm(forms.Form):
    """A calendar with one row per weekday (open or not, from, to) and its holidays,
    one per line ("2026-12-31 New Year's Eve")."""

    name = forms.CharField(label=_("Name"), max_length=100)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="Asia/Bangkok")
    is_default = forms.BooleanField(label=_("Default for teams without a calendar"), required=False)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    holidays = forms.CharField(
        label=_("Holidays"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=10_000,
        help_text=_("One per line: a date (YYYY-MM-DD) and a name."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for day, label in WEEKDAYS:
            self.fields[f"open_{day}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"opens_{day}"] = forms.TimeField(
                required=False, widget=forms.TimeInput(attrs={"type": "time"})
            )
            self.fields[f"closes_{day}"] = forms.TimeField(
                required=False, widget=forms.TimeInput(attrs={"type": "time"})
            )

    def day_rows(self) -> list[tuple]:
        return [(label, self[f"open_{day}"], self[f"opens_{day}"], self[f"closes_{day}"]) for day, label in WEEKDAYS]

    def clean(self):
        data = super().clean()
        for day, label in WEEKDAYS:
            if data.get(f"open_{day}") and not (data.get(f"opens_{day}") and data.get(f"closes_{day}")):
                self.add_error(f"open_{day}", _("%(day)s: give the opening and closing times.") % {"day": label})
        holidays = []
        for number, line in enumerate((data.get("holidays") or "").splitlines(), start=1):
            if not line.strip():
                continue
            day, _sep, name = line.strip().partition(" ")
            try:
                holidays.append((date.fromisoformat(day), name.strip()))
            except ValueError:
                self.add_error("holidays", _("Line %(n)d: start with a date such as 2026-12-31.") % {"n": number})
        data["holiday_list"] = holidays
        return data
