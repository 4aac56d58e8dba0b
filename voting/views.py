from django.urls import reverse
from django.views.decorators.http import require_POST

from workshop.actions.phone import VOTE
from workshop.http import phone_action_answer, with_workshop


@require_POST
@with_workshop
def phone_vote(request, *, workshop):
    """A vote posted as an ordinary form: no JavaScript, or the socket is down.

    The same checks, service and message as the socket's (workshop/actions/phone.py); the
    answer comes back as a message on the phone's home page.
    """
    home = reverse("workshop:phone-home", kwargs={"code": workshop.join_code})
    return phone_action_answer(request, workshop, action=VOTE, to=home + "#phone-live")
