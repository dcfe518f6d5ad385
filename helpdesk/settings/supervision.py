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

# Surveys after a resolution: the kinds asked, in order (SMS, WhatsApp and chat ask the first only).
HELPDESK_SURVEYS_ENABLED = env_bool("HELPDESK_SURVEYS_ENABLED", True)
HELPDESK_SURVEY_KINDS = env_list("HELPDESK_SURVEY_KINDS", ["csat", "ces", "nps"])
HELPDESK_CES_SCALE = env_int("HELPDESK_CES_SCALE", 7)
HELPDESK_SURVEY_MIN_INTERVAL_DAYS = env_int("HELPDESK_SURVEY_MIN_INTERVAL_DAYS", 7)
HELPDESK_SURVEY_REPLY_WINDOW_HOURS = env_int("HELPDESK_SURVEY_REPLY_WINDOW_HOURS", 72)
HELPDESK_SURVEY_LINK_MAX_AGE_DAYS = env_int("HELPDESK_SURVEY_LINK_MAX_AGE_DAYS", 30)
HELPDESK_SURVEY_SKIP_TAGS = env_list("HELPDESK_SURVEY_SKIP_TAGS", ["spam"])
HELPDESK_SURVEY_RATE_LIMIT_PER_MINUTE = env_int("HELPDESK_SURVEY_RATE_LIMIT_PER_MINUTE", 30)
