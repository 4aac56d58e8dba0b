"""The vote on the phone, under the phone address j/<code>/ (workshop/urls.py)."""

from django.urls import path

from voting import views

app_name = "voting"
urlpatterns = [
    path("vote/", views.phone_vote, name="phone-vote"),
]
