"""The project's root URLconf: admin, each app's own urls.py, and uploaded photos.

A phone's pages live under j/<code>/. Codes are matched loosely here (any case) and checked
by the view (workshop.http.with_workshop), which redirects to the canonical upper-case
address or shows the join form with a message."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

admin.site.site_header = "Workshop Live: organisers"
admin.site.site_title = "Workshop Live admin"
admin.site.index_title = "Prepare a workshop"

PHONE = "j/<str:code>/"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("workshop.app_urls")),
    path(PHONE, include("evidence.urls")),
    path(PHONE, include("panel.urls")),
    path(PHONE, include("voting.urls")),
    # Photos uploaded in admin. A self-hosted install has no separate media server; the files
    # are few and small.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
