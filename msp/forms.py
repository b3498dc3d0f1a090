"""Forms of the client workspace: the branding form (logo and colour checked by accounts.branding)."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile

from accounts.branding import LOGO_MAX_BYTES, BrandingError, check_logo, clean_colour


class BrandingForm(forms.Form):
    brand_name = forms.CharField(
        label="Display name",
        max_length=200,
        required=False,
        help_text="Shown on evidence packs, gap reports, the document badge and e-mails. Empty: the organisation's name.",
    )
    brand_colour = forms.CharField(
        label="Primary colour",
        max_length=7,
        required=False,
        help_text="As #rrggbb. It must be dark enough to read on white (WCAG AA, 4.5:1).",
        widget=forms.TextInput(
            attrs={"placeholder": "#1d4ed8", "spellcheck": "false", "autocomplete": "off"}
        ),
    )
    logo = forms.FileField(
        label="Logo",
        required=False,
        help_text="PNG or JPEG, at most 1 MB. SVG is refused.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)

    def clean_brand_name(self) -> str:
        # One line: the name goes into e-mail sender names and PDF headers.
        return " ".join(str(self.cleaned_data.get("brand_name") or "").split())

    def clean_brand_colour(self) -> str:
        try:
            return clean_colour(self.cleaned_data.get("brand_colour") or "")
        except BrandingError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_logo(self) -> tuple[bytes, str] | None:
        """The logo's bytes and MIME type, checked by content; ``None`` when none was sent."""
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        assert isinstance(upload, UploadedFile)
        if (upload.size or 0) > LOGO_MAX_BYTES:
            raise forms.ValidationError("The logo is larger than 1 MB. Upload a smaller PNG or JPEG.")
        data = upload.read(LOGO_MAX_BYTES + 1)
        try:
            mime = check_logo(data)
        except BrandingError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data, mime
