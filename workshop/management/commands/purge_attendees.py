import argparse
import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from workshop.services import attendees_purge


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise argparse.ArgumentTypeError("it takes a whole number of days, 1 or more.")
    return days


class Command(BaseCommand):
    help = (
        "Delete attendees (anonymous phones) who joined more than DAYS days ago. Their votes, "
        "questions, upvotes and board posts stay, no longer linked to anyone. Attendees of a "
        "workshop whose vote is open are kept until the vote closes. Without --older-than, "
        "uses WORKSHOP_PURGE_ATTENDEES_DAYS (0: do nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=_days, metavar="DAYS")

    def handle(self, *args, older_than: int | None, **options):
        days = older_than if older_than is not None else settings.WORKSHOP_PURGE_ATTENDEES_DAYS
        if not days:
            self.stdout.write("Attendee purge is off (WORKSHOP_PURGE_ATTENDEES_DAYS=0).")
            return
        result = attendees_purge(joined_before=timezone.now() - datetime.timedelta(days=days))
        message = f"Removed {result.removed} attendees who joined more than {days} days ago."
        if result.kept_for_open_vote:
            message += f" Kept {result.kept_for_open_vote} until their workshop's open vote closes."
        self.stdout.write(message)
