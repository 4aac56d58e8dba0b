from django import forms


class VoteForm(forms.Form):
    """A ballot, from the socket or from the HTTP fallback: the same validation for both."""

    poll = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    theme = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    # Set by the phone for each tap; a resend after a reconnect carries the same key.
    key = forms.RegexField(regex=r"^[A-Za-z0-9_-]{1,64}$", required=False)
