from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from evidence import views as evidence_views
from panel import views as panel_views
from voting import views as voting_views
from workshop import views

# Codes are matched loosely here (any case) and checked by the view, which redirects to the
# canonical upper-case address or shows the join form with a message.
CODE = "j/<str:code>/"

workshop_patterns = (
    [
        path("", views.join, name="join"),
        path(CODE, views.phone_home, name="phone-home"),
        path(CODE + "join/", views.phone_join, name="phone-join"),
        path(CODE + "agenda/", views.phone_agenda, name="phone-agenda"),
        path("s/<str:code>/console/", views.console, name="console"),
        path("s/<str:code>/console/action/", views.console_action_view, name="console-action"),
        path("s/<str:code>/screen/<str:secret>/", views.screen, name="screen"),
    ],
    "workshop",
)
voting_patterns = (
    [path(CODE + "vote/", voting_views.phone_vote, name="phone-vote")],
    "voting",
)
evidence_patterns = (
    [
        path(CODE + "themes/", evidence_views.phone_themes, name="phone-themes"),
        path(CODE + "themes/<int:pk>/", evidence_views.phone_theme, name="phone-theme"),
        path(CODE + "reports/", evidence_views.phone_reports, name="phone-reports"),
        path(CODE + "reports/<int:pk>/", evidence_views.phone_report, name="phone-report"),
    ],
    "evidence",
)
panel_patterns = (
    [
        path(CODE + "people/", panel_views.phone_people, name="phone-people"),
        path(CODE + "people/<int:pk>/", panel_views.phone_person, name="phone-person"),
        path(CODE + "questions/", panel_views.phone_questions, name="phone-questions"),
        path(CODE + "questions/ask/", panel_views.phone_ask, name="phone-ask"),
        path(CODE + "questions/upvote/", panel_views.phone_upvote, name="phone-upvote"),
        path(CODE + "board/", panel_views.phone_board, name="phone-board"),
        path(CODE + "board/post/", panel_views.phone_post, name="phone-post"),
    ],
    "panel",
)

admin.site.site_header = "Workshop Live: organisers"
admin.site.site_title = "Workshop Live admin"
admin.site.index_title = "Prepare a workshop"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include(workshop_patterns)),
    path("", include(evidence_patterns)),
    path("", include(panel_patterns)),
    path("", include(voting_patterns)),
    # Photos uploaded in admin. A self-hosted install has no separate media server; the files
    # are few and small.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
