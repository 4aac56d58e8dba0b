"""The workshop app's pages: the join form, the phone's home and agenda, the console and the
projector. workshop/urls.py is the project's root URLconf, which includes each app's."""

from django.urls import path

from workshop import views

app_name = "workshop"
urlpatterns = [
    path("", views.join, name="join"),
    path("j/<str:code>/", views.phone_home, name="phone-home"),
    path("j/<str:code>/join/", views.phone_join, name="phone-join"),
    path("j/<str:code>/agenda/", views.phone_agenda, name="phone-agenda"),
    path("s/<str:code>/console/", views.console, name="console"),
    path("s/<str:code>/console/action/", views.console_action_view, name="console-action"),
    path("s/<str:code>/report/", views.report, name="report"),
    path("s/<str:code>/screen/<str:secret>/", views.screen, name="screen"),
    path("s/<str:code>/export/<str:name>.<str:fmt>", views.export, name="export"),
]
