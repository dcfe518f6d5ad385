"""The public help center, mounted at /help/."""

from django.urls import path

from kb import views

app_name = "kb"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("analytics/", views.analytics_page, name="analytics"),
    path("articles/<str:slug>/", views.article_page, name="article"),
    path("articles/<str:slug>/feedback/", views.feedback, name="feedback"),
    path("<slug:slug>/", views.category_page, name="category"),
]
