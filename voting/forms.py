from django import forms


class VoteForm(forms.Form):
    """A ballot, from the socket or from the HTTP fallback: the same validation for both."""

    poll = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    theme = forms.IntegerField(min_value=1, max_value=2**31 - 1)
