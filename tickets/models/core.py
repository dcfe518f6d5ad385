"""The domain core: tickets, their messages and activities, and the raw inbound
events the messages came from."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .people import Customer, Team


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Live chat")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")
    LINE = "line", _("LINE")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")


class Direction(models.TextChoices):
    IN = "in", _("Inbound")
    OUT = "out", _("Outbound")
    NOTE = "note", _("Internal note")


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=60, unique=True, allow_unicode=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The inbox lists active tickets; its keyset pages read these partial indexes, one per
# order it offers, which stay small however many tickets were ever resolved.
_ACTIVE = Q(status__in=("new", "open", "pending"))


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)

    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets")
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    # Messaging channels have no threads: the customer's active ticket on the channel
    # is the conversation. The pipeline sets "<channel>:<customer id>" on a ticket it
    # opens there, and the unique index makes a second one impossible (DESIGN.md); a
    # ticket no longer active gives the key up when the next one opens.
    open_conversation = models.CharField(_("open conversation"), max_length=40, null=True, blank=True, unique=True)
    # True when an agent opened the ticket with an outbound message: it has no first response.
    agent_initiated = models.BooleanField(_("started by an agent"), default=False)

    # KPI facts, recorded by the services when they happen.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    first_inbound_at = models.DateTimeField(_("first inbound at"), null=True, blank=True)
    last_inbound_at = models.DateTimeField(_("last inbound at"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    first_response_s = models.PositiveIntegerField(_("first response (seconds)"), null=True, blank=True)
    first_response_business_s = models.PositiveIntegerField(
        _("first response in business hours (seconds)"), null=True, blank=True
    )
    last_agent_reply_at = models.DateTimeField(_("last agent reply at"), null=True, blank=True)
    agent_reply_count = models.PositiveIntegerField(_("agent replies"), default=0)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_s = models.PositiveIntegerField(_("resolution (seconds)"), null=True, blank=True)
    resolution_business_s = models.PositiveIntegerField(
        _("resolution in business hours (seconds)"), null=True, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    # While pending (waiting on the customer) the SLA clock stands still.
    pending_since = models.DateTimeField(_("pending since"), null=True, blank=True)
    paused_s = models.PositiveIntegerField(_("paused (seconds)"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # FCR facts (tickets/services/kpi_facts.py keeps them): one public agent reply, or a
    # chat resolved in its live session with every agent reply inside it; and the
    # customer's first contact within FCR_WINDOW_DAYS after the resolution.
    fcr_one_contact = models.BooleanField(_("one contact"), default=False)
    repeat_contact_at = models.DateTimeField(_("repeat contact at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated_idx"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ticket_assignee_idx"),
            models.Index(fields=["team", "status", "-updated_at"], name="ticket_team_idx"),
            models.Index(fields=["customer", "channel", "status"], name="ticket_customer_channel_idx"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated_idx"),
            models.Index(fields=["created_at"], name="ticket_created_idx"),
            models.Index(fields=["resolved_at"], name="ticket_resolved_idx"),
            # The few tickets resolved before their creation (imported history): the KPIs'
            # backlog at a past date corrects for them without reading every later ticket.
            models.Index(fields=["created_at"], condition=Q(resolved_at__lt=models.F("created_at")), name="ticket_resolved_early_idx"),
            # An inbound contact finds its customer's tickets resolved within the FCR window.
            models.Index(
                fields=["customer", "resolved_at"], condition=Q(resolved_at__isnull=False), name="ticket_customer_resolved_idx"
            ),
            models.Index(fields=["-updated_at", "-id"], condition=_ACTIVE, name="ticket_active_updated_idx"),
            models.Index(fields=["assignee", "-updated_at", "-id"], condition=_ACTIVE, name="ticket_active_assignee_idx"),
            models.Index(fields=["team", "-updated_at", "-id"], condition=_ACTIVE, name="ticket_active_team_idx"),
            models.Index(fields=["created_at", "id"], condition=_ACTIVE, name="ticket_active_created_idx"),
            models.Index(fields=["-priority", "-updated_at", "-id"], condition=_ACTIVE, name="ticket_active_priority_idx"),
            # With sla_warn_by_ticket_idx, the inbox counts "SLA at risk" as a merge join
            # of two index-only scans in id order, instead of a probe of the SLA per ticket.
            models.Index(fields=["id"], include=["first_response_at"], condition=_ACTIVE, name="ticket_active_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"{settings.HELPDESK_TICKET_PREFIX}-{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class InboundEvent(models.Model):
    """The raw inbound event, stored before anything else so that nothing is lost;
    processing can be replayed from it."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        DUPLICATE = "duplicate", _("Duplicate")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    external_id = models.CharField(_("external ID"), max_length=255, blank=True)
    # The InboundMessage as JSON (attachment bytes in base64): enough to replay.
    payload = models.JSONField(_("payload"))
    # The bytes as they came off the wire, where the wire format is richer than the
    # payload (a whole RFC 5322 message).
    raw = models.BinaryField(_("raw message"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    # One conversation (a channel and its normalized sender): its events are processed
    # in order, one at a time.
    conversation_key = models.CharField(_("conversation"), max_length=340, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        indexes = [
            models.Index(fields=["status", "created_at"], name="inbound_event_status_idx"),
            models.Index(fields=["channel", "external_id"], name="inbound_event_ext_idx"),
            # The processing queue: events accepted and not yet processed, oldest first.
            models.Index(
                fields=["conversation_key", "id"], condition=Q(status="received"), name="inbound_event_pending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.external_id or self.pk} ({self.status})"


class Message(models.Model):
    class DeliveryStatus(models.TextChoices):
        NONE = "", _("—")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        UNDELIVERED = "undelivered", _("Undelivered")
        FAILED = "failed", _("Failed")

    # No index of their own: message_ticket_idx and message_customer_timeline_idx lead
    # with these columns, and every index costs each inserted message.
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    # Denormalized from the ticket so the customer timeline is one index range scan.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    # Sanitized HTML, only where the source had HTML.
    html = models.TextField(_("HTML"), blank=True)
    # Provider id: email Message-ID, Twilio MessageSid, chat message uuid.
    # NULL, not "", for messages without one: the unique constraint ignores NULLs.
    external_id = models.CharField(_("external ID"), max_length=255, null=True, blank=True)  # noqa: DJ001
    # Auto-acknowledgements, bots and surveys: never a response, never a contact.
    is_automatic = models.BooleanField(_("automatic"), default=False)
    # Inbound auto-replies (out-of-office) and bounces: never reopen a ticket.
    is_auto_reply = models.BooleanField(_("auto-reply"), default=False)
    delivery_status = models.CharField(
        _("delivery status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.NONE, blank=True
    )
    delivery_error_code = models.CharField(_("delivery error code"), max_length=40, blank=True)
    delivery_error = models.TextField(_("delivery error"), blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    # Until when the worker that claimed the send owns it. A send still 'sending' after
    # its lease ran out was interrupted (a crashed worker) and is settled by a sweep.
    delivery_lease_until = models.DateTimeField(_("sending until"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # One key per outbound message, so that a retried send never sends twice.
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(
        InboundEvent, verbose_name=_("event"), null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(external_id__isnull=False),
                name="message_channel_external_id_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="message_customer_timeline_idx"),
            models.Index(fields=["ticket", "created_at", "id"], name="message_ticket_idx"),
            models.Index(fields=["created_at"], name="message_created_idx"),
            models.Index(
                fields=["delivery_lease_until"],
                condition=Q(delivery_status="sending"),
                name="message_sending_lease_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} #{self.pk}"

    @property
    def is_public_agent_reply(self) -> bool:
        return self.direction == Direction.OUT and not self.is_automatic


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{now:%Y/%m/%d}/{uuid.uuid4().hex}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=500, blank=True)
    filename = models.CharField(_("filename"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=150)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    # Inline images referenced from the HTML as cid:...
    content_id = models.CharField(_("Content-ID"), max_length=255, blank=True)
    inline = models.BooleanField(_("inline"), default=False)
    # Media that a provider hosts (Twilio MediaUrlN) is fetched after the message is stored.
    source_url = models.URLField(_("source URL"), max_length=1000, blank=True)
    fetch_error = models.CharField(_("fetch error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class TicketActivity(models.Model):
    """What happened to a ticket besides messages: status changes, assignments,
    escalation-rule firings, merges. Shown on the ticket's timeline."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        PRIORITY = "priority", _("Priority changed")
        TAGGED = "tagged", _("Tagged")
        REOPENED = "reopened", _("Reopened")
        ESCALATED = "escalated", _("Escalation rule fired")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        MERGED = "merged", _("Customer merged")
        APPROVAL = "approval", _("Reply approval")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket activity")
        indexes = [models.Index(fields=["ticket", "created_at"], name="activity_ticket_idx")]
        verbose_name_plural = _("ticket activities")

    def __str__(self) -> str:
        return _("%(kind)s on #%(ticket)s") % {"kind": self.get_kind_display(), "ticket": self.ticket_id}


class Notification(models.Model):
    """A console notification for one agent: an @mention, an escalation, an approval request."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mention")
        ESCALATION = "escalation", _("Escalation")
        ASSIGNMENT = "assignment", _("Assignment")
        APPROVAL = "approval", _("Approval requested")
        SLA = "sla", _("SLA")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=500)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_idx")]

    def __str__(self) -> str:
        return self.text
