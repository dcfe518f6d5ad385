"""Every API route under /api/v1/. Other apps add their routers here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from tickets.api import CustomerViewSet, TicketViewSet
from tickets.canned_api import CannedResponseViewSet
from tickets.kpi_api import KPIRowsView, KPIView

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("canned-responses", CannedResponseViewSet, basename="canned-response")

urlpatterns = [
    path("kpis/", KPIView.as_view(), name="kpis"),
    path("kpis/rows/", KPIRowsView.as_view(), name="kpi-rows"),
    path("kb/", include("kb.api_urls")),
    path("", include(router.urls)),
]
