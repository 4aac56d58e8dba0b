from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from panel.selectors import people_by_role, person_get
from workshop.http import with_workshop


@require_GET
@with_workshop
def phone_people(request, *, workshop):
    return render(
        request,
        "panel/phone/people.html",
        {"workshop": workshop, "groups": people_by_role(workshop=workshop), "tab": "people"},
    )


@require_GET
@with_workshop
def phone_person(request, *, workshop, pk: int):
    person = person_get(workshop=workshop, pk=pk)
    if person is None:
        raise Http404("No such person in this workshop.")
    return render(
        request,
        "panel/phone/person.html",
        {"workshop": workshop, "person": person, "tab": "people"},
    )
