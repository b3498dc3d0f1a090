"""Import from the earlier WorkflowOS studio: its ``workflow.json`` and its ``.wfos`` package
(a ZIP holding ``manifest.json`` with ``formatVersion: "1"`` beside ``workflow.json``).

Its nodes are skills (AI steps), artifacts, human steps, integrations, systems, conditionals and
proposals; see ``PSF-FACTS.md``. Each node becomes the closest step type of our catalogue, and
every choice that loses or guesses something is reported in the import result. No control is
added unless the source says it exists.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from typing import Any

from lib.errors import DomainError, ErrorItem
from studio.convert._common import GraphBuilder, as_number, load_json_bytes, obj, plain, string_list
from studio.convert.result import ImportResult, SourceFormat
from studio.format import MAX_DOCUMENT_BYTES

MAX_MEMBERS = 200
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

RUNTIME_VENDORS: dict[str, str] = {
    "openai": "openai",
    "azure_openai": "azure-openai",
    "azure": "azure-openai",
    "claude": "anthropic",
    "anthropic": "anthropic",
    "claude_code": "anthropic",
    "bedrock": "aws-bedrock",
    "aws_bedrock": "aws-bedrock",
    "vertex": "google-vertex",
    "gemini": "google",
    "google": "google",
    "mistral": "mistral",
    "cohere": "cohere",
    "ollama_local": "ollama (self-hosted)",
    "ollama": "ollama (self-hosted)",
    "local": "self-hosted",
}
# Runtimes that run a tool-using loop rather than a single model call.
AGENTIC_RUNTIME_WORDS = (
    "agent",
    "claude_code",
    "codex",
    "devin",
    "openhands",
    "autogen",
    "crewai",
    "langgraph",
    "computer_use",
)
RISK_CATEGORIES = ("standard", "customer_facing", "financial", "legal", "critical")
HIGH_STAKES_RISKS = ("financial", "legal", "critical")
# A skill validation becomes an output validator only when its own type says it is an output check.
OUTPUT_CHECK_TYPES = (
    "schema",
    "json_schema",
    "output_schema",
    "schema_check",
    "output",
    "output_validation",
    "format",
)
RETRIEVAL_ROLE_WORDS = (
    "knowledge",
    "search",
    "index",
    "vector",
    "retriev",
    "source",
    "document",
    "wiki",
    "read",
    "repository",
    "archive",
    "crm",
    "database",
    "storage",
)
DATABASE_ARTIFACT_WORDS = ("database", "db", "record", "table", "row", "ledger", "crm")
EDGE_TYPES_AS_DATA = ("input", "output", "integration", "human", "condition_true", "condition_false")
EDGE_TYPES_UNMAPPED = {
    "proposal": "a proposed change, not part of the running workflow",
    "derived_invalidation": "a bookkeeping link of the earlier studio, not a flow of data",
}


# --- .wfos package -------------------------------------------------------------------------------


def _refuse(message: str, path: str, detail: str, *, status: int = 400, code: str = "invalid") -> DomainError:
    return DomainError(message, [ErrorItem(path, detail)], status=status, code=code)


def _unsafe_member(name: str) -> str | None:
    if "\x00" in name:
        return "contains a NUL character"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "is an absolute path"
    if "\\" in name:
        return "uses backslashes"
    if any(part == ".." for part in name.split("/")):
        return "climbs out of the package (..)"
    return None


def read_wfos(content: bytes) -> tuple[bytes, dict[str, Any] | None]:
    """Check a ``.wfos`` package and return (workflow.json bytes, parsed manifest or None).

    Refuses with :class:`DomainError`: content that is not a ZIP, more than 5 MB uncompressed,
    members with unsafe paths, links or encryption, and packages without ``workflow.json``.
    Nothing is written to disk.
    """
    limit = MAX_DOCUMENT_BYTES
    if len(content) > limit:
        raise _refuse("The package is larger than 5 MB.", "", "too large", status=413, code="too_large")
    if not content.startswith(ZIP_MAGIC):
        raise _refuse(
            "This .wfos file is not a ZIP package.", "", "not a ZIP archive (a .wfos package is a ZIP)"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise _refuse("This .wfos file is not a readable ZIP package.", "", f"broken ZIP: {exc}") from None
    if len(infos) > MAX_MEMBERS:
        raise _refuse(
            f"The package holds {len(infos)} files (limit {MAX_MEMBERS}).",
            "",
            "too many files",
            status=413,
            code="too_large",
        )
    problems = []
    for info in infos:
        reason = _unsafe_member(info.filename)
        if reason:
            problems.append(ErrorItem(info.filename, f"unsafe path: {reason}"))
        elif (info.external_attr >> 16) & 0o170000 == 0o120000:
            problems.append(ErrorItem(info.filename, "symbolic links are not allowed"))
        elif info.flag_bits & 0x1:
            problems.append(ErrorItem(info.filename, "encrypted members are not supported"))
    if problems:
        raise DomainError("The package contains unsafe entries and was refused.", problems)
    declared = sum(info.file_size for info in infos)
    if declared > limit:
        raise _refuse(
            f"The package unpacks to {declared:,} bytes, over the 5 MB limit.",
            "",
            "too large uncompressed",
            status=413,
            code="too_large",
        )

    def find(basename: str) -> zipfile.ZipInfo | None:
        hits = [
            i
            for i in infos
            if not i.is_dir() and i.filename.rsplit("/", 1)[-1] == basename and i.filename.count("/") <= 1
        ]
        hits.sort(key=lambda i: i.filename.count("/"))
        return hits[0] if hits else None

    budget = [limit]

    def read(info: zipfile.ZipInfo) -> bytes:
        try:
            with archive.open(info) as fh:
                # Read no more than the budget allows, whatever the header claims.
                data = fh.read(budget[0] + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError) as exc:
            raise _refuse(
                f"{info.filename} cannot be read from the package.", info.filename, f"cannot unpack: {exc}"
            ) from None
        if len(data) > budget[0]:
            raise _refuse(
                "The package unpacks to more than 5 MB.",
                info.filename,
                "too large uncompressed",
                status=413,
                code="too_large",
            )
        budget[0] -= len(data)
        return data

    wf_info = find("workflow.json")
    if wf_info is None:
        names = ", ".join(i.filename for i in infos[:10]) or "nothing"
        raise _refuse(
            "The package has no workflow.json.", "workflow.json", f"missing (the package holds {names})"
        )
    manifest: dict[str, Any] | None = None
    mf_info = find("manifest.json")
    if mf_info is not None:
        raw = load_json_bytes(read(mf_info), "manifest.json")
        if not isinstance(raw, dict):
            raise _refuse("manifest.json must hold a JSON object.", "manifest.json", "expected a JSON object")
        version = plain(raw.get("formatVersion"))
        if version != "1":
            raise _refuse(
                f"Unsupported .wfos formatVersion {version or '(missing)'}; only version 1 can be imported.",
                "manifest.json.formatVersion",
                f'expected "1", got {version or "nothing"}',
            )
        manifest = raw
    return read(wf_info), manifest


def import_wfos(content: bytes) -> ImportResult:
    """Import a ``.wfos`` package of the earlier studio."""
    workflow_bytes, manifest = read_wfos(content)
    data = load_json_bytes(workflow_bytes, "workflow.json")
    result = convert_legacy(data, source_format="legacy-wfos", manifest=manifest)
    if manifest is None:
        result.unmapped.insert(0, "package: no manifest.json; only workflow.json was read")
    return result


def import_legacy_json(content: bytes) -> ImportResult:
    """Import a ``workflow.json`` file of the earlier studio."""
    return convert_legacy(load_json_bytes(content, "workflow.json"), source_format="legacy-json")


# --- workflow.json --------------------------------------------------------------------------------


def looks_like_legacy(data: Any) -> bool:
    """True for the earlier studio's workflow object (nodes carry ``data``, edges ``source``/``target``)."""
    if isinstance(data, dict) and isinstance(data.get("workflow"), dict):
        data = data["workflow"]
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        return False
    nodes = [n for n in data["nodes"] if isinstance(n, dict)]
    edges = (
        [e for e in data.get("edges") or [] if isinstance(e, dict)]
        if isinstance(data.get("edges"), list)
        else []
    )
    # An empty map is still recognisable by the earlier studio's own workflow fields.
    marked = "workflowType" in data or (
        isinstance(data.get("metadata"), dict) and "graphVersion" in data["metadata"]
    )
    node_ok = (bool(nodes) or marked) and all("data" in n for n in nodes)
    edge_ok = all("source" in e and "target" in e for e in edges)
    return node_ok and edge_ok


def _position(node: dict[str, Any]) -> tuple[float, float] | None:
    pos = node.get("position")
    if not isinstance(pos, dict):
        return None
    x, y = as_number(pos.get("x")), as_number(pos.get("y"))
    return (x, y) if x is not None and y is not None else None


class _LegacyConverter:
    def __init__(self, workflow: dict[str, Any]) -> None:
        self.workflow = workflow
        self.b = GraphBuilder()
        self.ids: dict[str, str] = {}  # source node id → our id
        self.kind_of: dict[str, str] = {}  # source node id → source type
        self.names: dict[str, str] = {}  # source node id → display name
        self.data_of: dict[str, dict[str, Any]] = {}  # source node id → its data
        self.reroute: dict[str, str] = {}  # skill (our id) → its output validator (our id)
        self.escalate_to: dict[str, str] = {}  # skill (our id) → lower-case escalateTo
        self.human_keys: dict[str, set[str]] = {}  # human step (our id) → names it answers to
        self.risks: list[tuple[str, str]] = []
        self.in_deg: dict[str, int] = {}
        self.out_deg: dict[str, int] = {}

    # -- entry ------------------------------------------------------------------------------
    def run(self) -> None:
        nodes = self.workflow.get("nodes")
        edges = self.workflow.get("edges", [])
        errors: list[ErrorItem] = []
        if not isinstance(nodes, list):
            raise DomainError("The workflow has no list of nodes.", [ErrorItem("nodes", "expected a list")])
        if not isinstance(edges, list):
            raise DomainError("The workflow's edges are not a list.", [ErrorItem("edges", "expected a list")])
        for i, n in enumerate(nodes):
            if not isinstance(n, dict):
                errors.append(ErrorItem(f"nodes[{i}]", "expected an object"))
            elif not plain(n.get("id")):
                errors.append(ErrorItem(f"nodes[{i}].id", "missing"))
            elif n.get("data") is not None and not isinstance(n.get("data"), dict):
                errors.append(ErrorItem(f"nodes[{i}].data", "expected an object"))
        for j, e in enumerate(edges):
            if not isinstance(e, dict):
                errors.append(ErrorItem(f"edges[{j}]", "expected an object"))
        if errors:
            raise DomainError(
                "The workflow.json is not a valid workflow of the earlier studio.", errors[:200]
            )
        valid_ids = {plain(n["id"]) for n in nodes}
        for e in edges:
            s, t = plain(e.get("source")), plain(e.get("target"))
            if s in valid_ids and t in valid_ids:
                self.out_deg[s] = self.out_deg.get(s, 0) + 1
                self.in_deg[t] = self.in_deg.get(t, 0) + 1
        for i, n in enumerate(nodes):
            self._node(i, n)
        for j, e in enumerate(edges):
            self._edge(j, e)
        for skill_id, validator_id in self.reroute.items():
            self.b.add_edge(raw_id=f"{skill_id}-{validator_id}", source=skill_id, target=validator_id)

    # -- nodes ------------------------------------------------------------------------------
    def _node(self, i: int, node: dict[str, Any]) -> None:
        raw_id = plain(node["id"])
        kind = plain(node.get("type")) or "(none)"
        data = obj(node.get("data"))
        name = plain(data.get("name")) or plain(data.get("label")) or raw_id
        describe = f"{kind} {name!r}"
        if raw_id in self.kind_of:
            self.b.unmapped.append(f"nodes[{i}] ({describe}): duplicate id {raw_id!r}; left out")
            return
        self.names[raw_id] = name
        self.kind_of[raw_id] = kind
        self.data_of[raw_id] = data
        handler = {
            "skill": self._map_skill,
            "artifact": self._map_artifact,
            "human": self._map_human,
            "integration": self._map_integration,
            "system": self._map_system,
            "conditional": self._map_conditional,
        }.get(kind)
        if kind == "proposal":
            self.b.unmapped.append(
                f"{describe}: a proposal is a suggested change, not part of the running workflow; left out"
            )
            return
        if handler is None:
            node_id = self._add(
                raw_id,
                "transform",
                name,
                {"description": f"Unknown step type {kind!r} in the source."},
                node,
                describe,
            )
            self.b.unmapped.append(
                f"{describe}: unknown node type {kind!r}; imported as a transform ({node_id})"
            )
            return
        handler(raw_id, name, data, node, describe)

    def _add(
        self,
        raw_id: str,
        node_type: str,
        name: str,
        config: dict[str, Any],
        node: dict[str, Any],
        describe: str,
    ) -> str:
        our_id = self.b.add_node(
            raw_id=raw_id,
            node_type=node_type,
            label=name,
            config=config,
            position=_position(node),
            describe=describe,
            fallback_label=raw_id,
        )
        self.ids[raw_id] = our_id
        return our_id

    def _map_skill(
        self, raw_id: str, name: str, data: dict[str, Any], node: dict[str, Any], describe: str
    ) -> None:
        mapped, unmapped = self.b.mapped, self.b.unmapped
        level = as_number(data.get("autonomyLevel"))
        blast = obj(data.get("blastRadius"))
        runtime = plain(data.get("runtimeTarget"))
        apis = string_list(blast.get("allowedApis"))
        tools = string_list(blast.get("allowedTools") or blast.get("tools"))
        reasons = []
        if level is not None and level >= 2:
            reasons.append(f"autonomy level {level:g}")
        if apis or tools:
            reasons.append("its blast radius grants APIs/tools")
        if runtime and any(w in runtime.lower() for w in AGENTIC_RUNTIME_WORDS):
            reasons.append(f"runtime {runtime!r} runs an agent loop")
        node_type = "agent" if reasons else "llm_call"

        config: dict[str, Any] = {}
        notes = ["Imported from the earlier WorkflowOS studio (skill)."]
        if plain(data.get("description")):
            notes.append(plain(data.get("description")))
        for key, title in (("inputs", "Inputs"), ("outputs", "Outputs")):
            items = (
                string_list(data.get(key)) if not isinstance(data.get(key), dict) else [plain(data.get(key))]
            )
            if items:
                notes.append(f"{title}: {', '.join(items)}")
        if level is not None and float(level).is_integer() and 0 <= level <= 4:
            config["autonomy_level"] = f"L{int(level)}"
        elif data.get("autonomyLevel") is not None:
            unmapped.append(
                f"{describe}: autonomy level {plain(data.get('autonomyLevel'))!r} is not 0–3; left out"
            )
        risk = plain(data.get("riskCategory"))
        if risk in RISK_CATEGORIES:
            config["risk_category"] = risk
            self.risks.append((name, risk))
        elif risk:
            unmapped.append(f"{describe}: risk category {risk!r} is not known; left out")
        if runtime:
            vendor = RUNTIME_VENDORS.get(runtime.lower(), runtime)
            config["vendor"] = vendor
        if plain(data.get("modelName")):
            config["model"] = plain(data.get("modelName"))
        owner, team = plain(data.get("owner")), plain(data.get("team"))
        if owner or team:
            config["owner"] = owner or team
        if owner and team:
            notes.append(f"Team: {team}")

        kept = []
        if node_type == "agent":
            config.update(
                {
                    "allowed_paths": string_list(blast.get("allowedPaths")),
                    "blocked_paths": string_list(blast.get("blockedPaths")),
                    "allowed_apis": apis,
                    "allowed_tools": tools,
                    "max_runtime_seconds": blast.get("maxRuntimeSeconds"),
                    "max_cost_usd": blast.get("maxCostUsd"),
                }
            )
            if isinstance(blast.get("noNetworkAccess"), bool):
                config["network_access"] = not blast["noNetworkAccess"]
            kept = [
                k
                for k in (
                    "allowedPaths",
                    "blockedPaths",
                    "allowedApis",
                    "noNetworkAccess",
                    "maxRuntimeSeconds",
                    "maxCostUsd",
                )
                if blast.get(k) not in (None, "", [])
            ]
        elif blast:
            # An LLM call has no blast-radius fields: keep the runtime limit as a timeout, the rest as notes.
            seconds = as_number(blast.get("maxRuntimeSeconds"))
            if seconds is not None and seconds >= 0:
                config["timeout_ms"] = round(seconds * 1000)
            rest = {k: v for k, v in blast.items() if k != "maxRuntimeSeconds" and v not in (None, "", [])}
            if rest:
                notes.append("Blast radius (from the source): " + plain(rest))
                unmapped.append(
                    f"{describe}: blast radius {', '.join(sorted(rest))} kept in notes only (an LLM call step has no such fields)"
                )

        retry = data.get("retryPolicy")
        if isinstance(retry, dict) and retry:
            notes.append(
                f"Retry policy: up to {plain(retry.get('maxAttempts')) or '?'} attempts, backoff {plain(retry.get('backoffSeconds')) or '?'} s"
            )
        esc = data.get("escalationPolicy")
        if isinstance(esc, dict) and esc:
            target = plain(esc.get("escalateTo"))
            notes.append(
                f"Escalation policy: after {plain(esc.get('afterFailures')) or '?'} failure(s) to {target or '?'}"
                + (f" — {plain(esc.get('escalationNote'))}" if plain(esc.get("escalationNote")) else "")
            )
        validations = data.get("validations") if isinstance(data.get("validations"), list) else []
        output_checks = []
        if validations:
            texts = []
            for v in validations:
                if isinstance(v, dict):
                    vtype = plain(v.get("type") or v.get("kind")).lower()
                    text = plain(
                        v.get("description") or v.get("name") or v.get("rule") or v.get("check")
                    ) or plain(v)
                    texts.append(f"{text} ({vtype})" if vtype else text)
                    if vtype in OUTPUT_CHECK_TYPES:
                        output_checks.append(v)
                else:
                    texts.append(plain(v))
            notes.append("Validations: " + "; ".join(t for t in texts if t))
        config["notes"] = "\n".join(notes)

        our_id = self._add(raw_id, node_type, name, config, node, describe)
        summary = [
            f"autonomy {config['autonomy_level']}" if "autonomy_level" in config else "",
            f"risk {risk}" if "risk_category" in config else "",
        ]
        summary += [
            f"vendor {config['vendor']}" if "vendor" in config else "",
            f"model {config['model']}" if "model" in config else "",
        ]
        line = f"{describe} → {'agent' if node_type == 'agent' else 'LLM call'} {our_id}"
        if reasons:
            line += f" (agent because {', '.join(reasons)})"
        details = ", ".join(s for s in summary if s)
        mapped.append(line + (f": {details}" if details else ""))
        if kept:
            mapped.append(f"{describe}: blast radius kept ({', '.join(kept)})")
        if retry or esc:
            mapped.append(f"{describe}: retry/escalation policy kept in notes")
        if isinstance(esc, dict) and plain(esc.get("escalateTo")):
            self.escalate_to[our_id] = plain(esc.get("escalateTo")).lower()
        if validations and not output_checks:
            mapped.append(
                f"{describe}: {len(validations)} validation(s) kept in notes; no output validator added because the source does not say they check the output"
            )
        if output_checks:
            v = output_checks[0]
            schema = plain(
                v.get("schema")
                or v.get("schemaRef")
                or v.get("format")
                or v.get("description")
                or v.get("name")
            )
            pos = _position(node)
            vnode = {"position": {"x": pos[0] + 40, "y": pos[1] + 100}} if pos else {}
            vid = self._add_raw(
                f"{raw_id}.validation",
                "output_validator",
                f"{name}: output check",
                {
                    "schema_ref": schema,
                    "notes": "Added on import: the source lists this skill's validation as an output check.",
                },
                vnode,
                f"skill {name!r} validation",
            )
            self.reroute[our_id] = vid
            mapped.append(
                f"{describe}: output validator {vid} added after it because {len(output_checks)} of its validations "
                "are typed as output/schema checks; its outgoing data edges now pass through the validator"
            )

    def _add_raw(
        self,
        raw_id: str,
        node_type: str,
        name: str,
        config: dict[str, Any],
        node: dict[str, Any],
        describe: str,
    ) -> str:
        return self.b.add_node(
            raw_id=raw_id,
            node_type=node_type,
            label=name,
            config=config,
            position=_position(node),
            describe=describe,
            fallback_label=raw_id,
        )

    def _map_artifact(
        self, raw_id: str, name: str, data: dict[str, Any], node: dict[str, Any], describe: str
    ) -> None:
        contract = obj(data.get("outputContract"))
        artifact_type = plain(data.get("artifactType"))
        file_name = plain(data.get("fileName"))
        fields = string_list(contract.get("requiredFields"))
        fmt = plain(contract.get("format"))
        if any(
            contract.get(k) not in (None, "", [])
            for k in ("requiredFields", "format", "validationNote", "maxSizeKb")
        ):
            schema_ref = fmt or "contract"
            if fields:
                schema_ref += ": " + ", ".join(fields)
            notes = ["Output contract imported from the earlier WorkflowOS studio."]
            if plain(contract.get("validationNote")):
                notes.append(plain(contract.get("validationNote")))
            if contract.get("maxSizeKb") is not None:
                notes.append(f"Max size: {plain(contract.get('maxSizeKb'))} KB")
            if file_name:
                notes.append(f"File: {file_name}")
            our_id = self._add(
                raw_id,
                "output_validator",
                name,
                {"schema_ref": schema_ref, "notes": "\n".join(notes)},
                node,
                describe,
            )
            self.b.mapped.append(
                f"{describe} → output validator {our_id} (schema {schema_ref!r} from its output contract)"
            )
            return
        starts_flow = self.in_deg.get(raw_id, 0) == 0 and self.out_deg.get(raw_id, 0) > 0
        lowered = f"{artifact_type} {file_name}".lower()
        if starts_flow:
            formats = [file_name.rsplit(".", 1)[-1].lower()] if "." in file_name else []
            our_id = self._add(
                raw_id,
                "document_input",
                name,
                {"formats": formats, "notes": f"Artifact type: {artifact_type or '?'}"},
                node,
                describe,
            )
            self.b.mapped.append(
                f"{describe} → document input {our_id} (no output contract; it starts the flow)"
            )
        elif any(re.search(rf"\b{w}\b", lowered) for w in DATABASE_ARTIFACT_WORDS):
            our_id = self._add(raw_id, "database_write", name, {"table": file_name or name}, node, describe)
            self.b.unmapped.append(
                f"{describe}: no output contract; imported as a database write ({our_id}) from its artifact type {artifact_type!r}"
            )
        else:
            desc = f"Produces the artifact {file_name or name} ({artifact_type or 'untyped'}); no output contract in the source."
            our_id = self._add(raw_id, "transform", name, {"description": desc}, node, describe)
            self.b.unmapped.append(
                f"{describe}: no output contract, so no output validator; imported as a transform ({our_id})"
            )

    def _map_human(
        self, raw_id: str, name: str, data: dict[str, Any], node: dict[str, Any], describe: str
    ) -> None:
        subtype = plain(data.get("subtype")) or "(none)"
        role = plain(data.get("approverRole"))
        owner = plain(data.get("owner"))
        describe = f"human {name!r} ({subtype})"
        if subtype == "approval":
            our_id = self._add(
                raw_id, "approval_gate", name, {"approver_role": role, "owner": owner}, node, describe
            )
            self.b.mapped.append(
                f"{describe} → approval gate {our_id}" + (f" (approver: {role})" if role else "")
            )
        elif subtype == "judgment":
            our_id = self._add(
                raw_id, "human_review", name, {"reviewer_role": role, "owner": owner}, node, describe
            )
            self.b.mapped.append(
                f"{describe} → human review {our_id}" + (f" (reviewer: {role})" if role else "")
            )
        elif subtype == "data_entry" and self.in_deg.get(raw_id, 0) == 0:
            our_id = self._add(
                raw_id, "user_input", name, {"channel": "manual data entry", "owner": owner}, node, describe
            )
            self.b.mapped.append(
                f"{describe} → user input {our_id} (a person enters the data that starts the flow)"
            )
        else:
            desc = f"Manual step ({subtype}) done by {role or owner or 'a person'}."
            our_id = self._add(
                raw_id, "transform", name, {"description": desc, "owner": owner}, node, describe
            )
            self.b.unmapped.append(
                f"{describe}: a manual {subtype} step is not a control in our catalogue; imported as a transform ({our_id})"
            )
        self.human_keys[our_id] = {k.lower() for k in (raw_id, name, role, owner) if k}

    def _map_integration(
        self, raw_id: str, name: str, data: dict[str, Any], node: dict[str, Any], describe: str
    ) -> None:
        subtype = plain(data.get("subtype")) or "other"
        system = plain(data.get("system"))
        direction = plain(data.get("direction"))
        describe = f"integration {name!r} ({subtype})"
        guessed = ""
        if direction not in ("inbound", "outbound", "bidirectional"):
            ins, outs = self.in_deg.get(raw_id, 0), self.out_deg.get(raw_id, 0)
            direction = (
                "inbound" if ins == 0 and outs else "outbound" if outs == 0 and ins else "bidirectional"
            )
            guessed = f"; direction not given, taken as {direction} from its edges"
        notes = f"System: {system}" if system else ""
        if direction == "inbound":
            if subtype in ("email_receive", "form_submit"):
                channel = "email" if subtype == "email_receive" else "web form"
                our_id = self._add(
                    raw_id, "user_input", name, {"channel": channel, "notes": notes}, node, describe
                )
                what = f"user input {our_id} (channel {channel})"
            elif subtype == "file_transfer":
                our_id = self._add(raw_id, "document_input", name, {"notes": notes}, node, describe)
                what = f"document input {our_id}"
            else:
                our_id = self._add(
                    raw_id, "api_input", name, {"endpoint": system or subtype, "notes": notes}, node, describe
                )
                what = f"API input {our_id}"
        elif direction == "outbound":
            if subtype in ("email_send", "notification", "webhook"):
                channel = {"email_send": "email", "notification": "chat", "webhook": "webhook"}[subtype]
                our_id = self._add(
                    raw_id, "message_send", name, {"channel": channel, "notes": notes}, node, describe
                )
                what = f"message send {our_id} (channel {channel})"
            else:
                action = f"{subtype.replace('_', ' ')} to {system or 'an external system'}"
                our_id = self._add(
                    raw_id, "side_effect", name, {"action": action, "notes": notes}, node, describe
                )
                what = f"side-effect action {our_id} ({action})"
        else:
            our_id = self._add(
                raw_id, "tool_call", name, {"tool": system or subtype, "notes": notes}, node, describe
            )
            what = f"tool call {our_id} (a two-way integration reads and writes; modelled as one tool call)"
        self.b.mapped.append(f"{describe}, {direction} → {what}{guessed}")

    def _map_system(
        self, raw_id: str, name: str, data: dict[str, Any], node: dict[str, Any], describe: str
    ) -> None:
        role = plain(data.get("systemRole"))
        lowered = f"{role} {name}".lower()
        if any(w in lowered for w in RETRIEVAL_ROLE_WORDS) and self.in_deg.get(raw_id, 0) == 0:
            our_id = self._add(
                raw_id,
                "retrieval_source",
                name,
                {"source": name, "notes": f"System role: {role}" if role else ""},
                node,
                describe,
            )
            self.b.mapped.append(
                f"{describe} → retrieval source {our_id} (system role {role or '?'} reads as a data source)"
            )
        else:
            our_id = self._add(
                raw_id,
                "tool_call",
                name,
                {"tool": name, "notes": f"System role: {role}" if role else ""},
                node,
                describe,
            )
            self.b.mapped.append(
                f"{describe} → tool call {our_id} (system role {role or '?'}; a system the workflow calls)"
            )

    def _map_conditional(
        self, raw_id: str, name: str, data: dict[str, Any], node: dict[str, Any], describe: str
    ) -> None:
        cond = plain(data.get("condition"))
        desc = f"Condition: {cond or '?'} (true: {plain(data.get('trueLabel')) or 'yes'}; false: {plain(data.get('falseLabel')) or 'no'})"
        our_id = self._add(raw_id, "transform", name, {"description": desc}, node, describe)
        self.b.unmapped.append(
            f"{describe}: conditions are not modelled; imported as a transform ({our_id}) with its branches as labelled data edges"
        )

    # -- edges ------------------------------------------------------------------------------
    def _edge(self, j: int, edge: dict[str, Any]) -> None:
        raw_id = plain(edge.get("id")) or f"edge{j}"
        etype = plain(edge.get("edgeType")) or "input"
        src, dst = plain(edge.get("source")), plain(edge.get("target"))
        where = f"edge {raw_id} ({self.names.get(src, src or '?')} → {self.names.get(dst, dst or '?')})"
        if etype in EDGE_TYPES_UNMAPPED:
            self.b.unmapped.append(f"{where}: {etype} edge left out — {EDGE_TYPES_UNMAPPED[etype]}")
            return
        if etype not in EDGE_TYPES_AS_DATA:
            self.b.unmapped.append(f"{where}: unknown edge type {etype!r}; left out")
            return
        missing = [end for end in (src, dst) if end not in self.ids]
        if missing:
            why = ", ".join(
                f"{m!r} is a {self.kind_of[m]} step that was not imported"
                if m in self.kind_of
                else f"no node {m!r}"
                for m in missing
            )
            self.b.unmapped.append(f"{where}: left out ({why})")
            return
        source, target = self.ids[src], self.ids[dst]
        if source == target:
            self.b.unmapped.append(f"{where}: a step cannot connect to itself; left out")
            return
        label = plain(edge.get("label"))
        if not label and etype in ("condition_true", "condition_false"):
            cond = self.data_of.get(src, {})
            label = plain(cond.get("trueLabel" if etype == "condition_true" else "falseLabel")) or (
                "yes" if etype == "condition_true" else "no"
            )
        kind = "data"
        esc = self.escalate_to.get(source)
        if esc and target in self.human_keys and esc in self.human_keys[target]:
            kind = "escalation"
            self.b.mapped.append(
                f"{where}: marked as an escalation edge (the skill's escalation policy names this step)"
            )
        if kind == "data" and source in self.reroute:
            source = self.reroute[source]
        self.b.add_edge(raw_id=raw_id, source=source, target=target, kind=kind, label=label)

    # -- workflow ---------------------------------------------------------------------------
    def facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        external = [n for n, r in self.risks if r == "customer_facing"]
        high = [f"{n} ({r})" for n, r in self.risks if r in HIGH_STAKES_RISKS]
        if external:
            facts["audience"] = "external"
            self.b.mapped.append(
                f"facts: audience set to external because {', '.join(external[:3])} is customer-facing"
            )
        if high:
            facts["stakes"] = "high"
            self.b.mapped.append(f"facts: stakes set to high because of {', '.join(high[:3])}")
        self.b.unmapped.append(
            "facts: the source does not say whether personal data is handled or the use is regulated; both left as no — check them"
        )
        return facts


def convert_legacy(
    data: Any, *, source_format: SourceFormat = "legacy-json", manifest: dict[str, Any] | None = None
) -> ImportResult:
    """Convert a parsed ``workflow.json`` (and optional ``.wfos`` manifest) into our format."""
    if isinstance(data, dict) and isinstance(data.get("workflow"), dict):
        data = data["workflow"]
    if not isinstance(data, dict):
        raise DomainError("workflow.json must hold a JSON object.", [ErrorItem("", "expected a JSON object")])
    conv = _LegacyConverter(data)
    conv.run()
    facts = conv.facts()
    manifest = manifest or {}
    name = plain(data.get("name")) or plain(manifest.get("title")) or "Imported workflow"
    parts = [plain(data.get("description")) or plain(manifest.get("description"))]
    if plain(data.get("objective")):
        parts.append(f"Objective: {plain(data.get('objective'))}")
    if plain(data.get("clientName")):
        parts.append(f"Client: {plain(data.get('clientName'))}")
    if plain(data.get("workflowType")):
        label = {"current_state": "current state", "future_state": "future state"}.get(
            plain(data.get("workflowType")), plain(data.get("workflowType"))
        )
        parts.append(f"Mapped as: {label}")
    description = "\n\n".join(p for p in parts if p)
    if manifest:
        bits = [
            f"{k} {plain(manifest.get(k))!r}"
            for k in ("title", "author", "version", "licence", "license")
            if plain(manifest.get(k))
        ]
        tags = string_list(manifest.get("tags"))
        if tags:
            bits.append("tags " + ", ".join(tags))
        conv.b.mapped.insert(0, "package manifest (formatVersion 1): " + ("; ".join(bits) or "no details"))
    doc = conv.b.build(name=name, description=description, facts=facts)
    conv.b.mapped.insert(
        0 if not manifest else 1,
        f"workflow {name!r}: {len(doc.nodes)} step(s) and {len(doc.edges)} edge(s) imported",
    )
    return ImportResult(
        document=doc, source_format=source_format, mapped=conv.b.mapped, unmapped=conv.b.unmapped
    )
