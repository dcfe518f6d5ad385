"""/console/rules/: the escalation rules editor (supervisors)."""

from django.urls import path

from tickets.dashboard import views

app_name = "rules"

urlpatterns = [
    path("", views.rule_list, name="list"),
    path("new/", views.rule_edit, name="create"),
    path("<int:pk>/", views.rule_edit, name="edit"),
    path("<int:pk>/delete/", views.rule_delete, name="delete"),
]
