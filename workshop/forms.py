from django import forms

from workshop.codes import JOIN_CODE_MAX, JOIN_CODE_MIN, join_code_normalise, join_code_validate
from workshop.selectors import workshop_by_code


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
