"""Themes, findings and reports on the phone, under j/<code>/ (workshop/urls.py)."""

from django.urls import path

from evidence import views

app_name = "evidence"
urlpatterns = [
    path("themes/", views.phone_themes, name="phone-themes"),
    path("themes/<int:pk>/", views.phone_theme, name="phone-theme"),
    path("reports/", views.phone_reports, name="phone-reports"),
    path("reports/<int:pk>/", views.phone_report, name="phone-report"),
]
