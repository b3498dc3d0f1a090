from __future__ import annotations

from django import forms


class SignInForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class SwitchOrganisationForm(forms.Form):
    organisation = forms.IntegerField(min_value=1)
    next = forms.CharField(required=False, max_length=500)
