"""The package's layers, bottom up: each module imports only from layers
below its own (checked with ``ast``, so an upward import fails CI). The
README's architecture section lists the same layers."""
from __future__ import annotations

import ast
import re

from conftest import ROOT

PACKAGE = ROOT / "assistant"
LAYERS = [
    ["cache_db", "client_address", "corrections", "decision", "documents", "docx_structure", "errors", "item_store", "login_guard", "manifest", "normalize", "numbers", "worklist", "ui_confirm"],
    ["app_client", "chunking", "config", "embedding_cache", "feedback", "keyword", "loaders", "matcher", "metadata", "protocols", "question", "reading", "verified", "ui_locale"],
    ["audit", "corpus", "credentials", "items", "llm", "model_files", "replies", "sentences", "similar", "store", "versions"],
    ["accounts", "audit_cli", "embeddings", "meta_edits", "policy_cli", "rate_limit", "retrieval", "users_cli", "verification", "ui_audit", "ui_policies"],
    ["answer", "ingestion", "policy_chat", "served", "verified_cli", "ui_worklist"],
    ["constraints", "library", "meta_admin", "metadata_answer", "render"],
    ["qa", "ui_metadata"],
    ["__main__", "ui"],
]
LAYER_OF = {module: i for i, modules in enumerate(LAYERS) for module in modules}


def imported_modules(path) -> set[str]:
    """Package modules a file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
            elif node.module and node.module.startswith("assistant."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("assistant."))
    return found


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(LAYER_OF)


def test_modules_import_only_from_lower_layers():
    upward = []
    for module, layer in LAYER_OF.items():
        for dep in imported_modules(PACKAGE / f"{module}.py"):
            if LAYER_OF[dep] >= layer:
                upward.append(f"{module} (layer {layer}) imports {dep} (layer {LAYER_OF[dep]})")
    assert upward == []


def test_the_checker_sees_an_upward_import(tmp_path):
    """Positive control: a file importing a higher layer is reported."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from .qa import Assistant\n    from assistant.ui import build_app\n", "utf-8")
    assert imported_modules(probe) == {"qa", "ui"}


def test_readme_lists_the_same_layers():
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"^\d+\. ", line)]
    listed = [re.findall(r"`([\w_]+)`", row) for row in rows]
    assert listed == LAYERS
