from django import forms

from panel.models import BoardPost
from workshop.forms import IdField, KeyField, MessageForm


class QuestionForm(MessageForm):
    """A question from the socket or the HTTP fallback. Length and content rules live in the
    service (panel.services.text_clean), so both paths refuse with the same message."""

    text = forms.CharField(max_length=10_000, required=False, strip=False)
    theme = IdField(required=False)
    panellist = IdField(required=False)
    author_name = forms.CharField(max_length=1_000, required=False, strip=False)
    # Chosen by the phone for each text it sends; a resend after a reconnect carries the same.
    key = KeyField(required=False)


class UpvoteForm(MessageForm):
    question = IdField()
    action = forms.ChoiceField(
        choices=[("question_upvote", "upvote"), ("question_unvote", "take back")],
        required=False,
    )


class BoardPostForm(MessageForm):
    kind = forms.ChoiceField(choices=BoardPost.Kind.choices, required=False)
    text = forms.CharField(max_length=10_000, required=False, strip=False)
    theme = IdField(required=False)
    key = KeyField(required=False)  # as QuestionForm's
