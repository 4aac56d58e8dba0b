from django.core.management.base import BaseCommand

from workshop.demo import pcn
from workshop.models import Workshop
from workshop.services import workshop_load


class Command(BaseCommand):
    help = (
        "Load the Primary Care Networks demo workshop (join code PCN25). Idempotent: a second "
        "run changes nothing. With --if-missing, an existing demo workshop is left as it is, so "
        "edits made in admin survive `make run`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-missing", action="store_true")

    def handle(self, *args, if_missing: bool, **options):
        code = pcn.WORKSHOP["join_code"]
        if if_missing and Workshop.objects.filter(join_code=code).exists():
            self.stdout.write(f"Demo workshop {code} already present; left unchanged.")
            return
        workshop = workshop_load(content=pcn)
        self.stdout.write(self.style.SUCCESS(f"Loaded demo workshop {workshop}."))
