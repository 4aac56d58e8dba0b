import textwrap

from django.core.management.base import BaseCommand
from django.urls import reverse

from workshop.models import Workshop
from workshop.services import live_state_ensure


class Command(BaseCommand):
    help = "Print the addresses to open for each workshop: attendee join, admin, and so on."

    def add_arguments(self, parser):
        parser.add_argument("--base", default="http://127.0.0.1:8000")

    def handle(self, *args, base: str, **options):
        base = base.rstrip("/")
        self.stdout.write(f"  Attendees join at  {base}{reverse('workshop:join')}")
        for workshop in Workshop.objects.all():
            code = workshop.join_code
            # The whole title, wrapped at word boundaries to the banner's 80 columns.
            title = textwrap.fill(
                f"{' '.join(workshop.title.split())}  [code {code}]",
                width=78,
                initial_indent="  ",
                subsequent_indent="  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            self.stdout.write(f"\n{title}")
            home = reverse("workshop:phone-home", kwargs={"code": code})
            secret = live_state_ensure(workshop=workshop).screen_secret
            screen = reverse("workshop:screen", kwargs={"code": code, "secret": secret})
            console = reverse("workshop:console", kwargs={"code": code})
            self.stdout.write(f"    Phone page       {base}{home}")
            self.stdout.write(f"    Projector        {base}{screen}")
            self.stdout.write(f"    Console          {base}{console}  (facilitator login)")
        self.stdout.write(f"\n  Organisers' admin  {base}{reverse('admin:index')}")
