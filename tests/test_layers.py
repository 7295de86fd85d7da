"""The package is a house with floors: each subpackage imports only from the floors below
it (or its own), no import closes a cycle, and a lazy import (inside a function) of a
fisherlab module says why it is lazy. Every import counts, wherever it sits, so a lazy
import cannot hide an upward one or a cycle.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "fisherlab"

#: bottom to top; the modules of one floor may import each other (without a cycle)
FLOORS = [("core",), ("stats",), ("families",), ("estimators",), ("spec",), ("plan",),
          ("run",), ("diagnostics",), ("verdicts",), ("report",), ("pipeline",),
          ("cli", "testing", "__main__")]
#: a lazy import of a fisherlab module must say on its line why it is lazy
LAZY_REASON = "start-up"


def floor_of(module: str) -> int:
    """The floor of ``fisherlab.<part>...``; the package's own ``__init__`` is the ground
    (the version, and `open`, whose lazy import of the pipeline is its own: every module
    of the package is under it, and none imports it)."""
    parts = module.split(".")
    if len(parts) == 1:
        return 0
    for i, names in enumerate(FLOORS):
        if parts[1] in names:
            return i
    raise AssertionError(f"{module} is on no floor: add its subpackage to FLOORS")


def modules(root: Path) -> dict[str, Path]:
    out = {}
    for p in root.rglob("*.py"):
        parts = list(p.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def imports(root: Path) -> list[tuple[str, str, int, bool, str]]:
    """Every import of a fisherlab module: (importer, imported, line, lazy, line text)."""
    mods = modules(root)
    out = []
    for name, path in mods.items():
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        lazy_lines = {n.lineno for f in ast.walk(tree)
                      if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                      for n in ast.walk(f) if isinstance(n, ast.Import | ast.ImportFrom)}
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                # ``from . import x`` imports the submodule x when there is one
                targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in mods else mod
                           for a in node.names]
            for t in targets:
                if t == "fisherlab" or t.startswith("fisherlab."):
                    while t not in mods:  # a name inside a module: the module
                        t = t.rsplit(".", 1)[0]
                    out.append((name, t, node.lineno, node.lineno in lazy_lines,
                                lines[node.lineno - 1]))
    return out


def violations(root: Path) -> list[str]:
    """What breaks the floors in the package at ``root``: upward imports, cycles, lazy
    imports of fisherlab modules without a reason."""
    found = []
    edges: dict[str, set[str]] = {}
    for importer, imported, line, lazy, text in imports(root):
        if importer == imported:
            continue
        edges.setdefault(importer, set()).add(imported)
        # a package's __init__ may gather its own modules (a registry)
        own = imported.startswith(importer + ".")
        if floor_of(imported) > floor_of(importer) and not own:
            found.append(f"upward: {importer} (line {line}) imports {imported}")
        if lazy and LAZY_REASON not in text:
            found.append(f"lazy without a reason: {importer} (line {line}) imports "
                         f"{imported}")
    found += [f"cycle: {' -> '.join(c)}" for c in cycles(edges)]
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp) + [sorted(comp)[0]])

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_package_keeps_its_floors():
    assert violations(SRC) == []


def test_the_check_finds_an_upward_import_a_cycle_and_a_hidden_lazy_import(tmp_path):
    copy = tmp_path / "fisherlab"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    seeds = copy / "core" / "seeds.py"
    seeds.write_text(seeds.read_text() + "\nfrom ..report import html  # noqa\n")
    stats = copy / "stats" / "measures.py"
    stats.write_text(stats.read_text() + "\n\ndef _f():\n    from ..run import dataset\n")
    spec = copy / "spec" / "targets.py"
    spec.write_text(spec.read_text() + "\nfrom . import load  # noqa\n")
    found = violations(copy)
    assert "upward: fisherlab.core.seeds (line" in " ".join(found)
    assert any(f.startswith("upward: fisherlab.stats.measures") for f in found)
    assert any(f.startswith("lazy without a reason: fisherlab.stats.measures") for f in found)
    assert any(f.startswith("cycle:") and "fisherlab.spec.targets" in f for f in found)


def test_every_subpackage_is_on_a_floor():
    for name in modules(SRC):
        floor_of(name)
