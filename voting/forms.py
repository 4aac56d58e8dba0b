from workshop.forms import IdField, KeyField, MessageForm


class VoteForm(MessageForm):
    """A ballot, from the socket or from the HTTP fallback: the same validation for both."""

    poll = IdField()
    theme = IdField()
    # Set by the phone for each tap; a resend after a reconnect carries the same key.
    key = KeyField(required=False)
