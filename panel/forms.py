from django import forms

from panel.models import BoardPost

ID = {"required": False, "min_value": 1, "max_value": 2**31 - 1}


class QuestionForm(forms.Form):
    """A question from the socket or the HTTP fallback. Length and content rules live in the
    service (panel.services.text_clean), so both paths refuse with the same message."""

    text = forms.CharField(max_length=10_000, required=False, strip=False)
    theme = forms.IntegerField(**ID)
    panellist = forms.IntegerField(**ID)
    author_name = forms.CharField(max_length=1_000, required=False, strip=False)


class UpvoteForm(forms.Form):
    question = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    action = forms.ChoiceField(
        choices=[("question_upvote", "upvote"), ("question_unvote", "take back")],
        required=False,
    )


class BoardPostForm(forms.Form):
    kind = forms.ChoiceField(choices=BoardPost.Kind.choices, required=False)
    text = forms.CharField(max_length=10_000, required=False, strip=False)
    theme = forms.IntegerField(**ID)
