from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from workshop.actions.phone import VOTE, phone_action
from workshop.http import client_address, with_workshop


@require_POST
@with_workshop
def phone_vote(request, *, workshop):
    """A vote posted as an ordinary form: no JavaScript, or the socket is down.

    The same checks, service and message as the socket's (workshop/actions/phone.py); the
    answer comes back as a message on the phone's home page.
    """
    try:
        outcome = phone_action(
            action=VOTE, data=request.POST, workshop=workshop,
            attendee_id=request.attendee_id, address=client_address(request),
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, outcome.message)
    home = reverse("workshop:phone-home", kwargs={"code": workshop.join_code})
    return redirect(home + "#phone-live")
