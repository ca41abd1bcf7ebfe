"""The shape of the package, checked by reading its source: layers, cycles, private names, sizes, citations.

The layer order itself is import-linter's contract in pyproject.toml (CI runs ``lint-imports``); these tests
add what it does not check.
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "toolkit"
MAX_LINES = 600

# Underscore names of third-party objects that are the documented way to do something.
THIRD_PARTY_PRIVATE = {
    ("sys", "_getframe"),
    # google-genai defines the Interactions API's error classes only in this module
    ("google.genai", "_interactions"),
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def own_private_names(tree: ast.AST) -> set[str]:
    """Underscore names a module defines itself: functions, methods, attributes it assigns, class fields."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if _private(n)}


def private_access(path: Path) -> list[str]:
    """``other._name`` and ``from x import _name`` in one module, where ``_name`` is not the module's own."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = own_private_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or node.level):
            for alias in node.names:
                if _private(alias.name) and (node.module, alias.name) not in THIRD_PARTY_PRIVATE:
                    found.append(f"{path.name}:{node.lineno} imports {alias.name}")
            if node.module and any(_private(p) for p in node.module.split(".")):
                found.append(f"{path.name}:{node.lineno} imports from private module {node.module}")
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
                continue
            if isinstance(owner, ast.Name) and (owner.id, node.attr) in THIRD_PARTY_PRIVATE:
                continue
            if node.attr in own:  # the module's own object (a handler reaching its own server class)
                continue
            found.append(f"{path.name}:{node.lineno} reaches {ast.unparse(node)}")
    return found


def test_no_module_touches_another_modules_private_names():
    problems = [p for path in modules() for p in private_access(path)]
    assert problems == [], "private access across modules:\n" + "\n".join(problems)


def test_the_private_access_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from .studio import _helper\nx = studio._reserved\ny = self._mine\n"
                   "class A:\n    def _own(self): pass\nz = A()._own()\n")
    assert len(private_access(bad)) == 2


def test_no_import_cycles_counting_imports_inside_functions():
    graph = grimp.build_graph("toolkit", include_external_packages=False, exclude_type_checking_imports=False)
    # the one sanctioned upward import: Study.arena(), a thin entry point to its widget (pyproject's contract
    # ignores the same edge); everything else must form no cycle
    graph.remove_import(importer="toolkit.compare", imported="toolkit.widgets.arena")
    modules_ = sorted(graph.modules)
    cycles = []
    for m in modules_:
        for dep in graph.find_modules_directly_imported_by(m):
            if m == dep or not (m.startswith("toolkit") and dep.startswith("toolkit")):
                continue
            if m.startswith(dep + ".") or dep.startswith(m + "."):
                continue  # a package and its own submodules (``__init__`` re-exports) are one unit
            chain = graph.find_shortest_chain(importer=dep, imported=m)
            if chain is not None and not any(a.startswith(b + ".") or b.startswith(a + ".")
                                              for a, b in itertools.pairwise(chain)):
                cycles.append(" -> ".join((m, *chain)))
    assert cycles == [], "import cycles:\n" + "\n".join(sorted(set(cycles)))


def test_layer_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed in this environment")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:]


def test_import_toolkit_does_not_import_the_fakes_or_http_server():
    code = ("import sys, toolkit; print(sorted(m for m in sys.modules "
            "if m.startswith('toolkit.testing') or m == 'http.server'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_fakes_stay_reachable_from_the_package():
    import toolkit as tk

    assert tk.FakeGeminiServer.__module__.startswith("toolkit.testing")
    assert tk.FakeOpenRouterServer.__module__.startswith("toolkit.testing")
    with pytest.raises(AttributeError, match="no attribute"):
        _ = tk.NoSuchThing  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", modules(), ids=_module_name)
def test_modules_stay_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines; split it along its concepts"


def test_nothing_cites_files_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    # spelled in pieces so that this file does not match itself
    needles = ("shared/" + "design.md", "shared/" + "reference", "reference " + "section")
    hits = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".toml", ".ipynb", ".txt", ""} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        hits += [f"{name}: {n}" for n in needles if n in text]
    assert hits == []
