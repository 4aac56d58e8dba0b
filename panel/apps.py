from django.apps import AppConfig
from django.db.models.signals import post_delete


def _person_deleted(sender, instance, **kwargs):
    from panel.services import person_photo_file_delete

    person_photo_file_delete(person=instance)


class PanelConfig(AppConfig):
    name = "panel"
    verbose_name = "People and panel"

    def ready(self):
        from panel.models import Person

        # A person goes with their workshop too (a cascade no service sees): the signal is
        # the one place that sees every deletion, so the photo file never outlives its row.
        post_delete.connect(_person_deleted, sender=Person, dispatch_uid="panel.person_photo")
