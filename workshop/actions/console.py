"""The facilitator's actions, shared by the console's socket and its HTTP fallback.

Each action is validated by ConsoleActionForm and carried out by a service; nothing here
writes by itself.
"""

from django import forms
from django.core.exceptions import ValidationError

from panel import services as panel
from panel.models import BoardPost, Question
from voting import services as voting
from voting.models import Poll
from voting.selectors import poll_current
from workshop import services as workshop_services
from workshop.models import LiveState, Workshop

CONSOLE_ACTIONS = {
    "stage_next": "Moved to the next agenda item.",
    "stage_previous": "Moved back one agenda item.",
    "stage_goto": "Jumped to the agenda item.",
    "screen_show": "The projector now shows what you picked.",
    "screen_countdown_on": "The countdown is on the projector.",
    "screen_countdown_off": "The countdown is off the projector.",
    "poll_open": "The vote is open.",
    "poll_close": "The vote is closed.",
    "poll_show_bars": "Live bars are on the projector.",
    "poll_hide_bars": "Live bars are hidden.",
    "poll_reveal": "The results are on the projector.",
    "poll_decide": "The theme is decided.",
    "poll_runoff": "The run-off vote is open.",
    "question_approve": "The question is live.",
    "question_hide": "The question is hidden.",
    "question_answered": "The question is marked answered.",
    "question_on_screen": "The question is on the projector.",
    "board_approve": "The view is on the board.",
    "board_hide": "The view is hidden.",
    "screen_secret_renew": "The projector has a new link: open it from here on the projector.",
}


class ConsoleActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in CONSOLE_ACTIONS])
    item = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    theme = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    screen = forms.ChoiceField(required=False, choices=LiveState.Screen.choices)
    tie_rule = forms.ChoiceField(required=False, choices=Poll.TieRule.choices)
    show_bars = forms.BooleanField(required=False)
    joined_before_only = forms.BooleanField(required=False)
    question = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    post = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    confirm = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        needs = {
            "stage_goto": "item",
            "screen_show": "screen",
            "question_approve": "question",
            "question_hide": "question",
            "question_answered": "question",
            "question_on_screen": "question",
            "board_approve": "post",
            "board_hide": "post",
        }
        field = needs.get(data.get("action"))
        if field and not data.get(field):
            raise ValidationError("That action needs a choice: use the console's buttons.")
        if data.get("action") == "screen_secret_renew" and not data.get("confirm"):
            raise ValidationError(
                "Tick the box to confirm: the current projector link stops working."
            )
        return data


def _current_poll(workshop: Workshop) -> Poll:
    poll = poll_current(workshop_id=workshop.pk)
    if poll is None:
        raise ValidationError("No vote has been opened yet.")
    return poll


def console_action(
    *, workshop: Workshop, data, actor: str = "system", phones: int | None = None
) -> str:
    """Carry out one console action; returns what to tell the facilitator.

    actor: the facilitator's username, named in the vote's audit trail and the stage changes.
    phones: the phones connected as the console's socket counts them (None from a form post),
    kept with a vote when it closes.

    Raises ValidationError with a readable message for a malformed or refused action.
    """
    form = ConsoleActionForm(data)
    if not form.is_valid():
        errors = [e for field in form.errors.values() for e in field]
        if "action" in form.errors:
            raise ValidationError("Unknown console action.")
        raise ValidationError(errors[0] if errors else "That action was not understood.")
    d = form.cleaned_data
    action = d["action"]
    if action == "stage_next":
        workshop_services.stage_next(workshop=workshop, actor=actor)
    elif action == "stage_previous":
        workshop_services.stage_previous(workshop=workshop, actor=actor)
    elif action == "stage_goto":
        workshop_services.stage_goto(workshop=workshop, item_id=d["item"], actor=actor)
    elif action == "screen_show":
        workshop_services.screen_show(workshop=workshop, screen=d["screen"])
    elif action in ("screen_countdown_on", "screen_countdown_off"):
        workshop_services.screen_countdown_show(
            workshop=workshop, show=action == "screen_countdown_on"
        )
    elif action == "poll_open":
        voting.poll_open(
            workshop=workshop,
            tie_rule=d["tie_rule"] or Poll.TieRule.CASTING,
            show_bars=d["show_bars"],
            joined_before_only=d["joined_before_only"],
            actor=actor,
        )
    elif action == "poll_close":
        voting.poll_close(poll=_current_poll(workshop), actor=actor, phones=phones)
    elif action in ("poll_show_bars", "poll_hide_bars"):
        voting.poll_show_bars(
            poll=_current_poll(workshop), show=action == "poll_show_bars", actor=actor
        )
    elif action == "poll_reveal":
        voting.poll_reveal(poll=_current_poll(workshop), actor=actor)
    elif action == "poll_decide":
        voting.poll_decide(poll=_current_poll(workshop), theme_id=d["theme"], actor=actor)
    elif action == "poll_runoff":
        voting.poll_runoff_start(poll=_current_poll(workshop), actor=actor)
    elif action.startswith("question_"):
        question = Question.objects.filter(workshop=workshop, pk=d["question"]).first()
        if question is None:
            raise ValidationError("That question is not in this workshop.")
        {
            "question_approve": panel.question_approve,
            "question_hide": panel.question_hide,
            "question_answered": panel.question_mark_answered,
            "question_on_screen": panel.question_put_on_screen,
        }[action](question=question)
    elif action == "screen_secret_renew":
        workshop_services.screen_secret_renew(workshop=workshop)
    elif action in ("board_approve", "board_hide"):
        post = BoardPost.objects.filter(workshop=workshop, pk=d["post"]).first()
        if post is None:
            raise ValidationError("That view is not in this workshop.")
        service = panel.board_post_approve if action == "board_approve" else panel.board_post_hide
        service(post=post)
    return CONSOLE_ACTIONS[action]
