from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from .models import User


class SignInForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Domain discovery as the address is typed (htmx); without JavaScript the form's
        # "Continue with single sign-on" button does the same.
        self.fields["email"].widget.attrs.update(
            {
                "hx-get": reverse("accounts:sso_discover"),
                "hx-trigger": "input changed delay:400ms, change",
                "hx-target": "#sso-options",
                "hx-sync": "this:replace",
                "hx-include": "[name='next']",  # the destination, never the password
            }
        )


class SwitchOrganisationForm(forms.Form):
    organisation = forms.IntegerField(min_value=1)
    next = forms.CharField(required=False, max_length=500)


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(choices=[("practitioner", "Practitioner"), ("admin", "Organisation admin")])


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[("practitioner", "Practitioner"), ("admin", "Organisation admin")])


class AcceptInvitationForm(forms.Form):
    """The invitee's new account: a name and a password typed twice (validators in the service)."""

    name = forms.CharField(
        max_length=150, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password1 = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "The two passwords differ.")
        return data


LIFETIME_CHOICES = [
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "365 days"),
    ("never", "Never expires (admins only)"),
]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. CI pipeline"}))
    lifetime = forms.ChoiceField(choices=LIFETIME_CHOICES, initial="90")

    def lifetime_days(self) -> int | None:
        value = self.cleaned_data["lifetime"]
        return None if value == "never" else int(value)


class SignUpForm(forms.Form):
    """A new account. The agreement box appears (and is required) only when the operator links
    terms or a privacy notice (WORKFLOWOS_TERMS_URL, WORKFLOWOS_PRIVACY_URL)."""

    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(
        label="Password",
        strip=False,
        help_text="At least 10 characters, not a common password, not like your name or address.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    agree = forms.BooleanField(required=False, label="I agree")

    def __init__(self, *args: object, needs_agreement: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.needs_agreement = needs_agreement
        if not needs_agreement:
            del self.fields["agree"]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "The two passwords differ.")
        if data.get("password1") and not self.has_error("password2"):
            # Shown with the other errors at once; the service checks again (accounts.services.signup).
            candidate = User(email=str(data.get("email") or ""), name=str(data.get("name") or ""))
            try:
                validate_password(str(data["password1"]), user=candidate)
            except ValidationError as exc:
                for message in exc.messages:
                    self.add_error("password1", message)
        if self.needs_agreement and not data.get("agree"):
            self.add_error("agree", "Tick the box to agree before creating an account.")
        return data


class WelcomeForm(forms.Form):
    """After verifying: create an organisation (name needed) or stay a personal account."""

    choice = forms.ChoiceField(choices=[("organisation", "Create an organisation"), ("personal", "Personal")])
    name = forms.CharField(
        label="Organisation name",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("choice") == "organisation" and not str(data.get("name") or "").strip():
            self.add_error("name", "Name your organisation.")
        return data


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
