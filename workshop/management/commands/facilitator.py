import os

from django.conf import settings
from django.core.management.base import BaseCommand

from workshop.services import facilitator_ensure


class Command(BaseCommand):
    help = (
        "Ensure a facilitator login exists (staff, in the Facilitators group). A new account gets "
        "a generated password, kept in var/facilitator-password so `make run` can print it again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="facilitator")
        parser.add_argument("--password", help="Set this password (else generated once).")

    def handle(self, *args, username: str, password: str | None, **options):
        keep = settings.VAR_DIR / f"{username}-password"
        login = facilitator_ensure(username=username, password=password)
        if login.password is not None:
            settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
            keep.write_text(login.password)
            os.chmod(keep, 0o600)
            shown = login.password
        elif keep.exists():
            shown = keep.read_text().strip()
        else:
            shown = (
                "(password unchanged; set one with: "
                f"manage.py facilitator --username {username} --password ...)"
            )
        self.stdout.write(f"{username} / {shown}")
