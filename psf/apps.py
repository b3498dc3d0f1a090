from __future__ import annotations

from django.apps import AppConfig


class PsfConfig(AppConfig):
    name = "psf"
    verbose_name = "PSF rubric"
