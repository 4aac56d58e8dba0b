from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workshop import exports
from workshop.selectors import workshop_by_code


class Command(BaseCommand):
    help = (
        "Write a workshop's exports (votes, questions, views, agenda; JSON and CSV, the files the "
        "console's Exports links download) into DIR: CODE-votes.json, CODE-votes.csv, …. "
        "The JSON schema is docs/export.schema.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="The workshop's join code.")
        parser.add_argument("--out", required=True, metavar="DIR", help="Folder to write to.")

    def handle(self, *args, code, out, **options):
        workshop = workshop_by_code(code)
        if workshop is None:
            raise CommandError(f"No workshop has the code {code!r}.")
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        for name in exports.NAMES:
            for fmt, build in (("json", exports.export_json), ("csv", exports.export_csv)):
                path = folder / f"{workshop.join_code}-{name}.{fmt}"
                path.write_text(build(workshop, name), encoding="utf-8")
                self.stdout.write(str(path))
