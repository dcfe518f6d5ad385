"""Supervisor pages: the KPI dashboard and its CSV export, the escalation rules
editor, and the public survey page that email surveys link to."""
