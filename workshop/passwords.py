"""The facilitator password file follows the account's password."""

from workshop.services import facilitator_password_forget


class ForgetKeptPassword:
    """Deletes var/<username>-password when that account's password is changed.

    Listed in AUTH_PASSWORD_VALIDATORS for its password_changed() hook, which Django calls
    after a password set with set_password() has been saved: admin's password form,
    `manage.py changepassword`, the services. Unlike a save signal, it fires only for a
    password change, and needs no query to compare hashes. It refuses no password.
    """

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is not None:
            facilitator_password_forget(username=user.get_username())

    def get_help_text(self):
        return ""
