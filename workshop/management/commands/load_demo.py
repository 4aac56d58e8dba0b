from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workshop.content import DEMO_PATH, ContentError, content_read
from workshop.models import Workshop
from workshop.services import workshop_load


class Command(BaseCommand):
    help = (
        "Load the Primary Care Networks demo workshop (join code PCN25) from "
        "workshop/demo/pcn.toml, or another workshop from a file in the same format (--file). "
        "The file is checked first; a file with a mistake is refused and nothing changes. "
        "Idempotent: a second run changes nothing. With --if-missing, an existing workshop with "
        "the file's join code is left as it is, so edits made in admin survive `make run`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-missing", action="store_true")
        parser.add_argument(
            "--file",
            type=Path,
            default=DEMO_PATH,
            help="The content file to load (default: the demo, workshop/demo/pcn.toml).",
        )

    def handle(self, *args, if_missing: bool, file: Path, **options):
        try:
            content = content_read(path=file)
        except ContentError as e:
            raise CommandError(f"Nothing loaded. {e}") from e
        code = content.join_code
        if if_missing and Workshop.objects.filter(join_code=code).exists():
            self.stdout.write(f"Workshop {code} already present; left unchanged.")
            return
        workshop = workshop_load(content=content)
        self.stdout.write(self.style.SUCCESS(f"Loaded workshop {workshop}."))
