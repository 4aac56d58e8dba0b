"""People, questions and the board on the phone, under j/<code>/ (workshop/urls.py)."""

from django.urls import path

from panel import views

app_name = "panel"
urlpatterns = [
    path("people/", views.phone_people, name="phone-people"),
    path("people/<int:pk>/", views.phone_person, name="phone-person"),
    path("questions/", views.phone_questions, name="phone-questions"),
    path("questions/ask/", views.phone_ask, name="phone-ask"),
    path("questions/upvote/", views.phone_upvote, name="phone-upvote"),
    path("board/", views.phone_board, name="phone-board"),
    path("board/post/", views.phone_post, name="phone-post"),
]
