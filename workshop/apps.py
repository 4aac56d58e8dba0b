from django.apps import AppConfig


class WorkshopConfig(AppConfig):
    name = "workshop"
    verbose_name = "Workshops"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from workshop.signals import console_sockets_close_on_logout

        user_logged_out.connect(
            console_sockets_close_on_logout, dispatch_uid="workshop.console_logout"
        )
