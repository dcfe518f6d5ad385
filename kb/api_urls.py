"""Routes of /api/v1/kb/, included from tickets.api_urls."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from kb.api import ArticleViewSet, DeflectionRateView, SearchView, SuggestView

router = DefaultRouter()
router.register("articles", ArticleViewSet, basename="kb-article")

urlpatterns = [
    path("search/", SearchView.as_view(), name="kb-search"),
    path("suggest/", SuggestView.as_view(), name="kb-suggest"),
    path("deflection/", DeflectionRateView.as_view(), name="kb-deflection"),
    path("", include(router.urls)),
]
