"""DSA workflow templates: ready ``workflowos.workflow/v1`` documents per common pattern and per
PSF domain, listed in ``index.yaml`` beside them. Pure Python (no Django)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from lib.errors import DomainError, ErrorItem, pydantic_path
from studio.format import WorkflowDocument, parse_json_text

TEMPLATES_DIR = Path(__file__).parent
INDEX_PATH = TEMPLATES_DIR / "index.yaml"

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]


class TemplateEntry(BaseModel):
    """One template in the index."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    slug: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    kind: Literal["pattern", "domain", "demo"]
    pattern: str | None = None
    domain: Annotated[str, StringConstraints(pattern=r"^PSF-[1-8]$")] | None = None
    tags: tuple[str, ...] = ()
    listed: bool = True

    @model_validator(mode="after")
    def _kind_fields(self) -> TemplateEntry:
        if self.kind == "pattern" and not self.pattern:
            raise ValueError("a pattern template needs `pattern`")
        if self.kind == "domain" and not self.domain:
            raise ValueError("a domain template needs `domain`")
        return self


class TemplateIndex(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    schema_: Literal["workflowos.templates/v1"] = Field(alias="schema")
    templates: tuple[TemplateEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> TemplateIndex:
        slugs = [t.slug for t in self.templates]
        dupes = sorted({s for s in slugs if slugs.count(s) > 1})
        if dupes:
            raise ValueError(f"duplicate slugs: {', '.join(dupes)}")
        return self

    def get(self, slug: str) -> TemplateEntry | None:
        return next((t for t in self.templates if t.slug == slug), None)


@cache
def load_index(path: Path = INDEX_PATH) -> TemplateIndex:
    """Load and validate the template index (cached; it is read-only data)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        # Through JSON so strict mode takes YAML lists for tuples.
        return TemplateIndex.model_validate_json(json.dumps(raw))
    except ValidationError as exc:
        items = [ErrorItem(pydantic_path(tuple(e["loc"])), e["msg"]) for e in exc.errors(include_url=False)]
        raise DomainError("The template index is not valid.", items) from None


def list_templates(*, include_unlisted: bool = False) -> list[TemplateEntry]:
    """Templates in index order; the demo-only ones only with ``include_unlisted``."""
    return [t for t in load_index().templates if t.listed or include_unlisted]


def load_template(slug: str) -> WorkflowDocument:
    """The validated document of a template; DomainError (404) for an unknown slug."""
    entry = load_index().get(slug)
    if entry is None:
        raise DomainError(
            f"No template {slug!r}.", [ErrorItem("slug", "unknown template")], status=404, code="not_found"
        )
    return parse_json_text((TEMPLATES_DIR / f"{entry.slug}.json").read_bytes())
