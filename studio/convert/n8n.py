"""Import an n8n workflow export (``nodes`` + ``connections``).

Common node types map to our catalogue (triggers to inputs, LangChain models and agents to LLM
calls and agents, tools and HTTP requests to tool calls, messaging to message sends, databases to
database writes or retrievals); logic nodes become transforms, unknown ones too, with a line saying
so. ``main`` and ``ai_*`` connections become data edges; an n8n error output becomes a fallback
edge. Credentials are never read.
"""

from __future__ import annotations

import re
from typing import Any

from lib.errors import DomainError, ErrorItem
from studio.convert._common import GraphBuilder, as_number, clip, load_json_bytes, obj, plain, string_list
from studio.convert.result import ImportResult

MODEL_VENDORS: dict[str, str] = {
    "openai": "openai",
    "azureopenai": "azure-openai",
    "anthropic": "anthropic",
    "googlegemini": "google",
    "googlepalm": "google",
    "googlevertex": "google-vertex",
    "mistralcloud": "mistral",
    "ollama": "ollama (self-hosted)",
    "groq": "groq",
    "awsbedrock": "aws-bedrock",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
    "xaigrok": "xai",
    "cohere": "cohere",
    "huggingfaceinference": "hugging-face",
    "vercelaigateway": "vercel",
}
# n8n nodes that call a model themselves (no sub-node), and their vendor.
DIRECT_MODEL_NODES = {
    "openai": "openai",
    "anthropic": "anthropic",
    "googlegemini": "google",
    "mistralai": "mistral",
    "ollama": "ollama (self-hosted)",
}
CHAIN_TYPES = (
    "chainllm",
    "chainsummarization",
    "chainretrievalqa",
    "informationextractor",
    "textclassifier",
    "sentimentanalysis",
)
AGENT_TYPES = ("agent", "openaiassistant", "agenttool")
MESSAGE_CHANNELS: dict[str, str] = {
    "emailsend": "email",
    "gmail": "email",
    "microsoftoutlook": "email",
    "sendgrid": "email",
    "mailgun": "email",
    "mailjet": "email",
    "awsses": "email",
    "slack": "chat",
    "telegram": "chat",
    "discord": "chat",
    "microsoftteams": "chat",
    "mattermost": "chat",
    "rocketchat": "chat",
    "whatsapp": "chat",
    "twilio": "sms",
    "vonage": "sms",
    "messagebird": "sms",
}
DATABASE_TYPES = (
    "postgres",
    "mysql",
    "microsoftsql",
    "mongodb",
    "redis",
    "supabase",
    "airtable",
    "googlesheets",
    "notion",
    "baserow",
    "nocodb",
    "snowflake",
    "elasticsearch",
    "oracledb",
    "questdb",
    "timescaledb",
    "crate",
    "googlebigquery",
    "grist",
    "seatable",
)
READ_OPERATIONS = (
    "get",
    "getall",
    "getmany",
    "search",
    "select",
    "read",
    "find",
    "lookup",
    "list",
    "load",
    "retrieve",
)
CHAT_TRIGGERS = (
    "slacktrigger",
    "telegramtrigger",
    "discordtrigger",
    "microsoftteamstrigger",
    "whatsapptrigger",
)
EMAIL_TRIGGERS = ("emailreadimap", "gmailtrigger", "microsoftoutlooktrigger")
BRANCH_TYPES = ("if", "switch", "filter")
LOGIC_TYPES = (
    "set",
    "code",
    "function",
    "functionitem",
    "merge",
    "splitinbatches",
    "itemlists",
    "noop",
    "wait",
    "datetime",
    "splitout",
    "aggregate",
    "limit",
    "removeduplicates",
    "sort",
    "summarize",
    "html",
    "markdown",
    "xml",
    "crypto",
    "executeworkflow",
    "executeworkflowtrigger",
    "renamekeys",
    "comparedatasets",
    "converttofile",
    "editimage",
    "stopanderror",
    "executiondata",
)
FILE_TYPES = (
    "readbinaryfile",
    "readbinaryfiles",
    "readpdf",
    "extractfromfile",
    "readwritefile",
    "googledrive",
    "ftp",
    "awss3",
)
CONNECTION_LABELS: dict[str, str] = {
    "ai_languageModel": "language model",
    "ai_tool": "tool",
    "ai_memory": "memory",
    "ai_outputParser": "output parser",
    "ai_embedding": "embedding",
    "ai_vectorStore": "vector store",
    "ai_document": "document",
    "ai_textSplitter": "text splitter",
    "ai_retriever": "retriever",
    "ai_reranker": "reranker",
}


def looks_like_n8n(data: Any) -> bool:
    """True for an n8n export: ``connections`` plus nodes typed ``n8n-nodes-…`` / ``@n8n/…``."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list) or "connections" not in data:
        return False
    types = [plain(n.get("type")) for n in data["nodes"] if isinstance(n, dict)]
    return any(t.startswith(("n8n-nodes-", "@n8n/")) for t in types)


def _short_type(full: str) -> str:
    return full.rsplit(".", 1)[-1].lower()


def _param(params: dict[str, Any], *keys: str) -> str:
    """A parameter as text; n8n "resource locator" values ({"__rl": true, "value": …}) unwrapped."""
    for key in keys:
        value = params.get(key)
        if isinstance(value, dict):
            value = value.get("value") or value.get("cachedResultName")
        text = plain(value)
        if text:
            return clip(text, 200)
    return ""


def _model_vendor(short: str) -> str:
    stem = re.sub(r"^(lmchat|lm|embeddings)", "", short)
    return MODEL_VENDORS.get(stem, stem or "unknown")


class _N8nConverter:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.b = GraphBuilder()
        self.ids: dict[str, str] = {}  # n8n name → our id
        self.index: dict[str, dict[str, Any]] = {}  # our id → builder node dict
        self.short: dict[str, str] = {}  # n8n name → short type
        self.incoming: set[str] = set()  # n8n names with an incoming main connection
        self.external = False

    def run(self) -> None:
        nodes = self.data.get("nodes")
        conns = self.data.get("connections")
        if not isinstance(nodes, list):
            raise DomainError(
                "The n8n workflow has no list of nodes.", [ErrorItem("nodes", "expected a list")]
            )
        if not isinstance(conns, dict):
            raise DomainError(
                "The n8n workflow's connections are not an object.",
                [ErrorItem("connections", "expected an object")],
            )
        errors = []
        for i, n in enumerate(nodes):
            if not isinstance(n, dict):
                errors.append(ErrorItem(f"nodes[{i}]", "expected an object"))
            elif not plain(n.get("name")):
                errors.append(ErrorItem(f"nodes[{i}].name", "missing"))
            elif not plain(n.get("type")):
                errors.append(ErrorItem(f"nodes[{i}].type", "missing"))
        if errors:
            raise DomainError("The n8n workflow is not valid.", errors[:200])
        for targets in self._all_targets(conns):
            if targets[1] == "main":
                self.incoming.add(targets[0])
        for n in nodes:
            self._node(n)
        self._connections(conns)

    @staticmethod
    def _all_targets(conns: dict[str, Any]) -> list[tuple[str, str]]:
        out = []
        for by_type in conns.values():
            if not isinstance(by_type, dict):
                continue
            for ctype, outputs in by_type.items():
                for output in outputs if isinstance(outputs, list) else []:
                    for target in output if isinstance(output, list) else []:
                        if isinstance(target, dict):
                            out.append((plain(target.get("node")), plain(ctype)))
        return out

    # -- nodes ------------------------------------------------------------------------------
    def _node(self, node: dict[str, Any]) -> None:
        name = plain(node["name"])
        full = plain(node["type"])
        short = _short_type(full)
        params = obj(node.get("parameters"))
        describe = f"n8n node {name!r} ({full})"
        if name in self.ids:
            self.b.unmapped.append(f"{describe}: duplicate node name; left out")
            return
        self.short[name] = short
        if short == "stickynote":
            self.b.unmapped.append(f"{describe}: a sticky note is documentation, not a step; left out")
            return
        mapping = self._map(name, short, full, params)
        if mapping is None:
            node_type, config, lossy = "transform", {"description": f"n8n node of type {full}"}, True
            line = f"{describe}: no matching step type; imported as a transform"
        else:
            node_type, config, line, lossy = mapping
            line = f"{describe} → {line}"
        notes = [plain(node.get("notes"))] if plain(node.get("notes")) else []
        if node.get("disabled") is True:
            notes.append("Disabled in n8n.")
            self.b.unmapped.append(f"{describe}: disabled in n8n; imported anyway")
        if notes:
            config["notes"] = "\n".join([plain(config.get("notes")), *notes]).strip()
        pos = node.get("position")
        position = None
        if isinstance(pos, list) and len(pos) == 2:
            x, y = as_number(pos[0]), as_number(pos[1])
            position = (x, y) if x is not None and y is not None else None
        our_id = self.b.add_node(
            raw_id=name,
            node_type=node_type,
            label=name,
            config=config,
            position=position,
            describe=describe,
            fallback_label=short,
        )
        self.ids[name] = our_id
        self.index[our_id] = self.b.nodes[-1]
        (self.b.unmapped if lossy else self.b.mapped).append(f"{line} ({our_id})")

    def _map(
        self, name: str, short: str, full: str, params: dict[str, Any]
    ) -> tuple[str, dict[str, Any], str, bool] | None:
        """(our type, config, what it became, lossy?) or None for an unknown type."""
        op = _param(params, "operation", "mode").lower().replace("-", "")
        starts = name not in self.incoming
        # inputs
        if short == "webhook":
            auth = plain(params.get("authentication")) or "none"
            return (
                "api_input",
                {"endpoint": _param(params, "path"), "authenticated": auth != "none"},
                "API input (webhook)",
                False,
            )
        if short == "formtrigger":
            return "user_input", {"channel": "web form"}, "user input (form)", False
        if short == "chattrigger":
            if params.get("public") is True:
                self.external = True
            return "user_input", {"channel": "chat"}, "user input (chat)", False
        if short in EMAIL_TRIGGERS:
            return "user_input", {"channel": "email"}, "user input (email)", False
        if short in CHAT_TRIGGERS:
            return "user_input", {"channel": "chat"}, "user input (chat)", False
        if short in ("manualtrigger", "start"):
            return "user_input", {"channel": "manual run"}, "user input (manual run)", False
        if short in ("scheduletrigger", "cron", "interval"):
            return (
                "api_input",
                {"endpoint": "schedule"},
                "API input (a schedule starts the run; no input type for timers)",
                True,
            )
        if short.endswith("trigger"):
            service = short.removesuffix("trigger")
            return "api_input", {"endpoint": service}, f"API input (events from {service})", False
        # models and agents
        if short.startswith("lm"):
            return self._model(short, params, "llm_call")
        if short in AGENT_TYPES:
            node_type, config, _line, lossy = self._model(short, params, "agent")
            steps = as_number(
                (params.get("options") or {}).get("maxIterations")
                if isinstance(params.get("options"), dict)
                else None
            )
            if steps is not None:
                config["max_steps"] = steps
            return node_type, config, "agent", lossy
        if short in DIRECT_MODEL_NODES or short in CHAIN_TYPES:
            vendor = DIRECT_MODEL_NODES.get(short, "")
            config = {"vendor": vendor, "model": _param(params, "modelId", "model", "modelName")}
            return "llm_call", config, f"LLM call{f' ({vendor})' if vendor else ''}", False
        if short.startswith("embeddings"):
            vendor = _model_vendor(short)
            desc = "Computes embeddings of the text (data is sent to the embedding model's vendor)."
            return (
                "transform",
                {"vendor": vendor, "description": desc},
                f"transform (embeddings, vendor {vendor})",
                False,
            )
        if short == "outputparserstructured":
            schema = (
                "JSON schema"
                if params.get("inputSchema") or params.get("schemaType") == "manual"
                else "JSON example"
            )
            return (
                "output_validator",
                {"schema_ref": f"n8n structured output parser ({schema})"},
                "output validator (structured output parser)",
                False,
            )
        if short == "outputparserautofixing":
            return (
                "output_validator",
                {
                    "on_fail": "fallback",
                    "notes": "n8n auto-fixing output parser: re-asks the model when parsing fails.",
                },
                "output validator (auto-fixing parser)",
                False,
            )
        if short.startswith("memory"):
            return (
                "transform",
                {"description": "Conversation memory (n8n memory node)."},
                "transform (conversation memory)",
                False,
            )
        if short.startswith("vectorstore"):
            index = _param(
                params,
                "pineconeIndex",
                "qdrantCollection",
                "tableName",
                "memoryKey",
                "collection",
                "indexName",
            ) or short.removeprefix("vectorstore")
            if op in ("insert", "update"):
                return "database_write", {"table": index}, "database write (vector store insert)", False
            return (
                "retrieval",
                {"index": index, "top_k": params.get("topK")},
                "retrieval (vector store)",
                False,
            )
        if short.startswith(
            (
                "textsplitter",
                "documentdefaultdataloader",
                "documentbinaryinputloader",
                "documentjsoninputloader",
            )
        ):
            return (
                "transform",
                {"description": "Document loading / splitting."},
                "transform (document loader/splitter)",
                False,
            )
        if short.startswith("retriever") or short.startswith("reranker"):
            return "retrieval", {}, "retrieval", False
        # tools
        if short.startswith("tool") or short.endswith("tool"):
            kind = short.removeprefix("tool").removesuffix("tool") or short
            url = _param(params, "url", "endpointUrl")
            tool = f"{name} ({kind}{': ' + url if url else ''})"
            return "tool_call", {"tool": tool}, f"tool call ({kind})", False
        if short == "httprequest":
            method = (_param(params, "method") or "GET").upper()
            url = _param(params, "url")
            return "tool_call", {"tool": f"HTTP {method} {url}".strip()}, "tool call (HTTP request)", False
        # sinks and data stores
        if short == "respondtowebhook":
            return "response", {"channel": "webhook response"}, "response to user", False
        if short in MESSAGE_CHANNELS:
            if any(op.startswith(r) for r in READ_OPERATIONS):
                return "retrieval", {"index": short}, f"retrieval ({short} read)", False
            return (
                "message_send",
                {"channel": MESSAGE_CHANNELS[short]},
                f"message send ({MESSAGE_CHANNELS[short]})",
                False,
            )
        if short in DATABASE_TYPES:
            table = _param(params, "table", "collection", "tableId", "sheetName", "base", "databaseId", "key")
            if any(op.startswith(r) for r in READ_OPERATIONS):
                return "retrieval", {"index": table or short}, f"retrieval ({short} read)", False
            return "database_write", {"table": table or short}, f"database write ({short})", False
        if short in FILE_TYPES:
            if starts:
                return "document_input", {}, "document input", False
            return (
                "transform",
                {"description": f"File handling ({short})."},
                "transform (file handling)",
                False,
            )
        if short in BRANCH_TYPES:
            return (
                "transform",
                {"description": f"n8n {short} node: routes items by a condition."},
                "transform (conditions are not modelled; branches kept as labelled data edges)",
                True,
            )
        if short in LOGIC_TYPES:
            desc = f"n8n {short} node." + (
                f" {clip(plain(params.get('jsCode') or params.get('functionCode')), 500)}"
                if short in ("code", "function")
                else ""
            )
            return "transform", {"description": desc}, f"transform ({short})", False
        return None

    def _model(
        self, short: str, params: dict[str, Any], node_type: str
    ) -> tuple[str, dict[str, Any], str, bool]:
        options = obj(params.get("options"))
        config: dict[str, Any] = {}
        if node_type == "llm_call":
            config["vendor"] = _model_vendor(short)
            config["model"] = _param(params, "model", "modelName", "modelId")
        config["temperature"] = options.get("temperature")
        config["max_tokens"] = options.get("maxTokens") or options.get("maxTokensToSample")
        timeout = as_number(options.get("timeout"))
        if timeout is not None:
            config["timeout_ms"] = timeout
        if node_type == "agent":
            system = plain(options.get("systemMessage"))
            if system:
                config["notes"] = "System message: " + clip(system, 2000)
        line = "LLM call" if node_type == "llm_call" else "agent"
        if config.get("vendor"):
            line += f" ({config['vendor']}{', ' + config['model'] if config.get('model') else ''})"
        return node_type, config, line, False

    # -- connections ------------------------------------------------------------------------
    def _connections(self, conns: dict[str, Any]) -> None:
        node_types = {n["id"]: n["type"] for n in self.b.nodes}
        tools_of: dict[str, list[str]] = {}
        model_of: dict[str, str] = {}
        nodes_by_name = {plain(n.get("name")): n for n in self.data["nodes"] if isinstance(n, dict)}
        # An output parser checks what the agent/chain it is wired into produces: model that as
        # agent → parser, with the agent's outgoing main edges leaving from the parser.
        parser_of: dict[str, str] = {}
        for src_name, by_type in conns.items():
            if (
                isinstance(by_type, dict)
                and src_name in self.ids
                and isinstance(by_type.get("ai_outputParser"), list)
            ):
                for output in by_type["ai_outputParser"]:
                    for target in output if isinstance(output, list) else []:
                        dst_name = plain(target.get("node")) if isinstance(target, dict) else ""
                        if (
                            dst_name in self.ids
                            and dst_name not in parser_of
                            and self.index[self.ids[src_name]]["type"] == "output_validator"
                        ):
                            parser_of[dst_name] = src_name
        for src_name, by_type in conns.items():
            if not isinstance(by_type, dict):
                self.b.unmapped.append(f"connections[{src_name!r}]: not an object; left out")
                continue
            src_node = nodes_by_name.get(src_name, {})
            for ctype, outputs in by_type.items():
                if not isinstance(outputs, list):
                    continue
                error_output = (
                    len(outputs) - 1
                    if (
                        ctype == "main"
                        and src_node.get("onError") == "continueErrorOutput"
                        and len(outputs) >= 2
                    )
                    else None
                )
                for out_no, output in enumerate(outputs):
                    for target in output if isinstance(output, list) else []:
                        if not isinstance(target, dict):
                            continue
                        dst_name = plain(target.get("node"))
                        where = f"connection {src_name!r} → {dst_name!r} ({ctype})"
                        if src_name not in self.ids or dst_name not in self.ids:
                            gone = [n for n in (src_name, dst_name) if n not in self.ids]
                            self.b.unmapped.append(
                                f"{where}: left out (no imported step named {', '.join(repr(g) for g in gone)})"
                            )
                            continue
                        src, dst = self.ids[src_name], self.ids[dst_name]
                        if src == dst:
                            self.b.unmapped.append(f"{where}: a step cannot connect to itself; left out")
                            continue
                        kind, label = "data", ""
                        if ctype == "ai_outputParser" and parser_of.get(dst_name) == src_name:
                            self.b.add_edge(
                                raw_id=f"{dst}-{src}", source=dst, target=src, label="output parser"
                            )
                            self.b.mapped.append(
                                f"{where}: modelled as {dst} → {src}; the outgoing edges of {dst} now leave from the parser"
                            )
                            continue
                        if ctype == "main" and src_name in parser_of and out_no != error_output:
                            src = self.ids[parser_of[src_name]]
                        if ctype == "main":
                            if out_no == error_output:
                                kind, label = "fallback", "on error"
                            elif self.short.get(src_name) == "if":
                                label = "true" if out_no == 0 else "false"
                            elif self.short.get(src_name) in ("switch", "filter") and len(outputs) > 1:
                                label = f"output {out_no}"
                        elif ctype in CONNECTION_LABELS:
                            label = CONNECTION_LABELS[ctype]
                            if ctype == "ai_tool":
                                tools_of.setdefault(dst, []).append(src_name)
                            if ctype == "ai_languageModel":
                                model_of.setdefault(dst, src)
                        else:
                            self.b.unmapped.append(
                                f"{where}: unknown connection type {ctype!r}; imported as a data edge"
                            )
                            label = ctype
                        self.b.add_edge(raw_id=f"{src}-{dst}", source=src, target=dst, kind=kind, label=label)
        # An n8n agent or chain gets its model from the sub-node wired into it: copy vendor/model over.
        for dst, src in model_of.items():
            target, model = self.index[dst], self.index[src]
            if node_types.get(dst) in ("agent", "llm_call") and node_types.get(src) == "llm_call":
                for key in ("vendor", "model"):
                    if key in model["config"] and key not in target["config"]:
                        target["config"][key] = model["config"][key]
                self.b.mapped.append(f"step {dst}: vendor/model taken from its language model {src}")
        for dst, tools in tools_of.items():
            if node_types.get(dst) == "agent":
                self.index[dst]["config"]["allowed_tools"] = string_list(tools)
                self.b.mapped.append(
                    f"agent {dst}: allowed tools = the {len(tools)} tool node(s) wired into it"
                )


def convert_n8n(data: Any) -> ImportResult:
    """Convert a parsed n8n workflow export into our format."""
    if not isinstance(data, dict):
        raise DomainError("An n8n workflow must be a JSON object.", [ErrorItem("", "expected a JSON object")])
    conv = _N8nConverter(data)
    conv.run()
    facts: dict[str, Any] = {}
    if conv.external:
        facts["audience"] = "external"
        conv.b.mapped.append("facts: audience set to external because its chat trigger is public")
    conv.b.unmapped.append(
        "facts: n8n does not record personal data, stakes or regulation; left at their defaults — check them"
    )
    name = plain(data.get("name")) or "Imported n8n workflow"
    tags = (
        [plain(t.get("name")) if isinstance(t, dict) else plain(t) for t in data.get("tags") or [] if t]
        if isinstance(data.get("tags"), list)
        else []
    )
    description = "Imported from n8n." + (f" Tags: {', '.join(t for t in tags if t)}." if any(tags) else "")
    doc = conv.b.build(name=name, description=description, facts=facts)
    conv.b.mapped.insert(
        0, f"workflow {name!r}: {len(doc.nodes)} step(s) and {len(doc.edges)} edge(s) imported"
    )
    return ImportResult(document=doc, source_format="n8n", mapped=conv.b.mapped, unmapped=conv.b.unmapped)


def import_n8n(content: bytes) -> ImportResult:
    """Import an n8n workflow JSON file."""
    return convert_n8n(load_json_bytes(content, "The n8n workflow"))
