from __future__ import annotations

from django import forms


class SubscribeForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Your e-mail address")
