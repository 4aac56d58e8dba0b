from django.core.management.base import BaseCommand

from workshop.services import (
    facilitator_ensure,
    facilitator_password_keep,
    facilitator_password_kept,
)


class Command(BaseCommand):
    help = (
        "Ensure a facilitator login exists (staff, in the Facilitators group). A new account gets "
        "a generated password, kept in var/<username>-password so `make run` can print it "
        "again, until the password is changed (in admin or otherwise): then the file is deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="facilitator")
        parser.add_argument("--password", help="Set this password (else generated once).")

    def handle(self, *args, username: str, password: str | None, **options):
        login = facilitator_ensure(username=username, password=password)
        if login.password is not None:
            facilitator_password_keep(username=username, password=login.password)
            shown = login.password
        else:
            shown = facilitator_password_kept(username=username) or (
                "the password set in admin (a new one: "
                f"manage.py facilitator --username {username} --password ...)"
            )
        self.stdout.write(f"{username} / {shown}")
