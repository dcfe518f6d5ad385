"""The domain models. Each topic has a module; everything is importable from here."""

from .chat import ChatSessionLog  # noqa: F401
from .console import CannedResponse, CustomerMerge, Macro, SavedView  # noqa: F401
from .core import (  # noqa: F401
    Attachment,
    Channel,
    Direction,
    InboundEvent,
    Message,
    Notification,
    Tag,
    Ticket,
    TicketActivity,
    attachment_upload_to,
)
from .counters import InboxCounter  # noqa: F401
from .kpis import (  # noqa: F401
    KPIDirtyDay,
    KPIDurationDay,
    KPIDurationMonth,
    KPIFirstResponseDay,
    KPIReplyDay,
    KPIReplyMonth,
    KPISurveyDay,
    KPISurveyMonth,
    KPITagDay,
    KPITagMonth,
    KPITicketDay,
    KPITicketMonth,
)
from .outbox import OutboxItem  # noqa: F401
from .people import AgentProfile, ContactIdentity, Customer, Role, Team  # noqa: F401
from .reports import KPIReportDelivery, KPIReportPreference  # noqa: F401
from .rules import EscalationRule, RuleFiring  # noqa: F401
from .search import TicketSearchDocument  # noqa: F401
from .security import IdempotentRequest, IdentityClaim, SignInAttempt  # noqa: F401
from .sentiment import MessageSentiment  # noqa: F401
from .sla import BusinessCalendar, BusinessHours, Holiday, SLAPolicy, TicketSLA  # noqa: F401
from .surveys import Survey, SurveyOptOut, SurveyPlan  # noqa: F401
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription  # noqa: F401
