"""pyproject.toml declares what the code imports and the versions its calls need."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
# modules of a distribution that a declared one pins exactly (pydantic pins pydantic-core)
PART_OF = {"pydantic_core": "pydantic"}


def _declared(requirements: list[str]) -> dict[str, Requirement]:
    parsed = (Requirement(line) for line in requirements)
    return {canonicalize_name(r.name): r for r in parsed}


def _module_level_imports() -> dict[str, str]:
    """Top-level third-party module -> one file importing it outside any function."""
    found: dict[str, str] = {}
    for path in sorted((REPO / "evalspec").rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("evalspec", "__future__"):
                    found.setdefault(top, str(path.relative_to(REPO)))
    return found


def test_every_module_level_import_is_a_core_dependency() -> None:
    """numpy (the gate), openai, huggingface_hub and safetensors load without any extra."""
    declared = _declared(PROJECT["dependencies"])
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, where in _module_level_imports().items():
        names = [PART_OF.get(module)] if module in PART_OF else distributions.get(module, [module])
        if not any(canonicalize_name(str(n)) in declared for n in names):
            missing.append(f"{module} ({where})")
    assert missing == []
    for name in ("numpy", "openai", "huggingface-hub", "safetensors"):
        assert name in declared


def test_the_hf_extra_needs_a_transformers_that_takes_dtype() -> None:
    """The hf engine calls from_pretrained(dtype=...), which transformers has since 4.56."""
    transformers = _declared(PROJECT["optional-dependencies"]["hf"])["transformers"]
    assert not transformers.specifier.contains("4.55.4")
    assert transformers.specifier.contains("4.56.0")
