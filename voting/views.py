from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from voting.forms import VoteForm
from voting.services import ballot_cast
from workshop.http import action_refusal, with_workshop


@require_POST
@with_workshop
def phone_vote(request, *, workshop):
    """A vote posted as an ordinary form: no JavaScript, or the socket is down.

    Same form and same service as the socket path; the answer comes back as a message on the
    phone's home page.
    """
    vote = VoteForm.cleaned(request.POST)
    home = reverse("workshop:phone-home", kwargs={"code": workshop.join_code}) + "#phone-live"
    if vote is None:
        messages.error(request, "Choose one of the themes on the ballot.")
        return redirect(home)
    if refusal := action_refusal(request, workshop, "vote"):
        messages.error(request, refusal)
        return redirect(home)
    try:
        ballot_cast(
            poll_id=vote["poll"],
            attendee_id=request.attendee_id,
            theme_id=vote["theme"],
            key=vote["key"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Your vote is in. You can change it until voting closes.")
    return redirect(home)
