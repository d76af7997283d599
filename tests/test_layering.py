"""The layers you can see: domain packages know nothing of HTTP or WeChat, and no module
grows past 500 lines without saying why (a "size:" note in its docstring)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fengqiao"
DOMAIN = ("cases", "dialogs", "booking", "documents", "nlp", "storage")
EDGES = ("aiohttp", "fengqiao.web", "fengqiao.bot")


def imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted((PACKAGE / package).rglob("*.py")):
        for name in imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    return bad


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_packages_import_no_edge(package):
    assert offenders(package, EDGES) == []


def test_the_room_uses_aiohttp_but_no_other_edge():
    assert offenders("mediation_room", ("fengqiao.web", "fengqiao.bot")) == []


def test_no_module_is_over_500_lines_without_a_stated_reason():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text("utf-8")
        if text.count("\n") > 500 and "size:" not in (ast.get_docstring(ast.parse(text)) or ""):
            long.append(f"{path.relative_to(PACKAGE.parent)}: {text.count(chr(10))} lines")
    assert long == []
