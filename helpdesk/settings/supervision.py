"""Supervision: business hours, SLAs, escalation, surveys and the KPIs."""

from .env import env_bool, env_int, env_list, env_str

# Opening hours when no BusinessCalendar is configured: Monday to Friday.
HELPDESK_BUSINESS_TIME_ZONE = env_str("HELPDESK_BUSINESS_TIME_ZONE", "Asia/Bangkok")
HELPDESK_BUSINESS_HOURS = env_str("HELPDESK_BUSINESS_HOURS", "09:00-18:00")
# SLA targets in business minutes by priority (low, normal, high, urgent) when no SLAPolicy matches.
HELPDESK_SLA_FIRST_RESPONSE_MINUTES = [int(v) for v in env_list("HELPDESK_SLA_FIRST_RESPONSE_MINUTES", ["480", "240", "60", "30"])]
HELPDESK_SLA_RESOLUTION_MINUTES = [int(v) for v in env_list("HELPDESK_SLA_RESOLUTION_MINUTES", ["4320", "1440", "480", "240"])]
# A ticket is at risk once this share of its target has gone by.
HELPDESK_SLA_AT_RISK_RATIO = float(env_str("HELPDESK_SLA_AT_RISK_RATIO", "0.8"))
HELPDESK_ESCALATION_SWEEP_BATCH = env_int("HELPDESK_ESCALATION_SWEEP_BATCH", 500)
HELPDESK_ESCALATION_SWEEP_MAX = env_int("HELPDESK_ESCALATION_SWEEP_MAX", 5000)

HELPDESK_AUTOACK_ENABLED = env_bool("HELPDESK_AUTOACK_ENABLED", True)
HELPDESK_AUTOACK_CHANNELS = env_list("HELPDESK_AUTOACK_CHANNELS", ["email", "sms", "whatsapp"])

# Surveys after a resolution: the kinds asked, in order (email on one page; elsewhere one
# question at a time, the next after each answer, until one goes unanswered past the window).
HELPDESK_SURVEYS_ENABLED = env_bool("HELPDESK_SURVEYS_ENABLED", True)
HELPDESK_SURVEY_KINDS = env_list("HELPDESK_SURVEY_KINDS", ["csat", "ces", "nps"])
HELPDESK_CES_SCALE = env_int("HELPDESK_CES_SCALE", 7)
HELPDESK_SURVEY_MIN_INTERVAL_DAYS = env_int("HELPDESK_SURVEY_MIN_INTERVAL_DAYS", 7)
HELPDESK_SURVEY_REPLY_WINDOW_HOURS = env_int("HELPDESK_SURVEY_REPLY_WINDOW_HOURS", 72)
HELPDESK_SURVEY_LINK_MAX_AGE_DAYS = env_int("HELPDESK_SURVEY_LINK_MAX_AGE_DAYS", 30)
HELPDESK_SURVEY_SKIP_TAGS = env_list("HELPDESK_SURVEY_SKIP_TAGS", ["spam"])
HELPDESK_SURVEY_RATE_LIMIT_PER_MINUTE = env_int("HELPDESK_SURVEY_RATE_LIMIT_PER_MINUTE", 30)
# WhatsApp quick-reply content templates (Twilio Content API) per kind, "csat=HX...,ces=HX...":
# buttons whose answers are the digits. Kinds without one are asked for a digit.
HELPDESK_WHATSAPP_SURVEY_CONTENT_SIDS = dict(
    item.split("=", 1) for item in env_list("HELPDESK_WHATSAPP_SURVEY_CONTENT_SIDS", []) if "=" in item
)
# A live chat session ends when the customer has been silent this long.
HELPDESK_CHAT_IDLE_MINUTES = env_int("HELPDESK_CHAT_IDLE_MINUTES", 30)
# The KPI report emailed to supervisors: "weekly" (Mondays, about the week before), "daily" or "off".
HELPDESK_KPI_REPORT_PERIOD = env_str("HELPDESK_KPI_REPORT_PERIOD", "weekly")

from .celery import CELERY_BEAT_SCHEDULE  # noqa: E402

# Survey questions left unanswered expire; idle live chat sessions end.
CELERY_BEAT_SCHEDULE["sweep-surveys-and-chat-sessions"] = {
    "task": "tickets.tasks.sweep_surveys_and_chat_sessions", "schedule": 60.0,
}  # fmt: skip
# The supervisors' KPI report, once per period and recipient however often this runs.
# The KPI rollups' stale days (every read refreshes them too) and the FCR facts' check.
CELERY_BEAT_SCHEDULE["refresh-kpi-rollups"] = {"task": "tickets.tasks.refresh_kpi_rollups", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["send-kpi-reports"] = {"task": "tickets.tasks.send_kpi_reports", "schedule": 900.0}
