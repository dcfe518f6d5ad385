"""/console/dashboard/: the KPI dashboard and its CSV export (supervisors)."""

from django.urls import path

from tickets.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="index"),
    path("export.csv", views.export_csv, name="export"),
    path("rows/", views.kpi_rows, name="rows"),
]
