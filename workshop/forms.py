import re

from django import forms

from workshop.codes import JOIN_CODE_MAX, JOIN_CODE_MIN, join_code_normalise, join_code_validate
from workshop.selectors import workshop_by_code
from workshop.text import storable


class JoinForm(forms.Form):
    code = forms.CharField(
        label="Join code",
        max_length=20,
        help_text=f"{JOIN_CODE_MIN}–{JOIN_CODE_MAX} letters and digits, shown on the screen.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "autocorrect": "off",
                "spellcheck": "false",
                "inputmode": "text",
                "enterkeyhint": "go",
            }
        ),
    )

    def clean_code(self):
        code = join_code_normalise(self.cleaned_data["code"])
        join_code_validate(code)
        self.workshop = workshop_by_code(code)
        if self.workshop is None:
            raise forms.ValidationError(
                "No workshop has the code %(code)s. Check the code on the screen and try again.",
                params={"code": code},
                code="unknown_code",
            )
        return self.workshop.join_code


# --- forms that validate an attendee's message (a socket frame or the HTTP fallback) --------

ID_MAX = 2**31 - 1


class MessageForm(forms.Form):
    """Validates a message from a phone, whether it came over the socket or as a POST.

    Consumers and views call `cleaned(data)`: a vote burst checks one message per ballot, and
    a form instance (Django deep-copies its fields and builds bound fields and error lists)
    cost about 100 µs of it, against 5 µs for the fields' own rules applied directly.
    """

    @classmethod
    def cleaned(cls, data) -> dict | None:
        """The cleaned data, or None when `data` is not valid: the same fields and rules as
        an instance's is_valid() and cleaned_data, without building the bound fields and
        error lists nobody reads (the socket answers a refusal with one message).
        Only for forms whose rules are all in their fields.

        A string that is not valid text (a lone surrogate, which a JSON escape can carry)
        is refused in any field: it could be neither stored nor echoed in a message."""
        try:
            return {
                name: field.clean(_valid_text(field.widget.value_from_datadict(data, {}, name)))
                for name, field in cls.base_fields.items()
            }
        except forms.ValidationError:
            return None

    def full_clean(self):
        # The instance's counterpart of cleaned()'s refusal of text that is not valid.
        super().full_clean()
        if not self.is_bound:
            return
        for name in self.fields:
            try:
                _valid_text(self[name].data)
            except forms.ValidationError as error:
                self.add_error(name, error)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        rules = [n for n in vars(cls) if n == "clean" or n.startswith("clean_")]
        if rules:
            raise TypeError(f"{cls.__name__}: put {rules} in fields, or cleaned() skips them")


def _valid_text(value):
    if isinstance(value, str) and not storable(value):
        raise forms.ValidationError("Enter valid text.", code="invalid")
    return value


class IdField(forms.Field):
    """A database id: plain decimal digits from 1 to 2**31 - 1 (no signs, separators, locale
    formats or decimals, which IntegerField accepts and a phone never sends)."""

    default_error_messages = {"invalid": "Enter a valid id."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and len(value) <= 10 and value.isascii() and value.isdigit():
            number = int(value)
        else:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if not 1 <= number <= ID_MAX:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class KeyField(forms.Field):
    """An idempotency key chosen by the phone: 1-64 of A-Z, a-z, 0-9, _ and -."""

    default_error_messages = {"invalid": "Enter a valid key."}
    pattern = re.compile(r"[A-Za-z0-9_-]{1,64}")

    def to_python(self, value):
        if value in self.empty_values:
            return ""
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return value
