"""The code's shape, checked like its behaviour (docs/architecture.md).

import-linter (``make lint``) checks which layer may import which; this checks what
it cannot: that no module imports, through any chain, a module that imports it back,
and that modules stay small enough to read. Both read the source only (grimp parses
imports, including those inside functions), so they run in a second."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cms", "assessments", "courses", "training")
# Demo and scale content is data written as code; migrations are generated.
LONG_ALLOWED = ("*/migrations/*", "training/demo/*", "*/demo.py", "*/demo_*.py")
MAX_LINES = 500


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, include_external_packages=False)


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's, without
    recursion: the graph has a few hundred modules and deep chains)."""
    modules = sorted(m for m in graph.modules if ".migrations" not in m)
    edges = {
        m: sorted(
            n
            for n in graph.find_modules_directly_imported_by(m)
            if ".migrations" not in n
        )
        for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycles(graph):
    cycles = _cycles(graph)
    assert not cycles, (
        "Modules that import each other (break the circle: move the "
        "shared part down, or let the lower one send a signal):\n"
        + "\n".join(" ↔ ".join(c) for c in cycles)
    )


def test_the_cycle_check_finds_a_cycle():
    """The check above must be able to fail: a two-module and a three-module circle
    are found, a chain is not."""
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d", "pkg.e"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.d")
    graph.add_import(importer="pkg.d", imported="pkg.e")
    graph.add_import(importer="pkg.e", imported="pkg.c")
    graph.add_import(importer="pkg", imported="pkg.a")
    assert sorted(_cycles(graph)) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d", "pkg.e"]]


def test_no_module_is_too_long_to_read():
    long = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if any(relative.match(pattern) for pattern in LONG_ALLOWED):
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                long.append(f"{relative}: {lines} lines")
    assert not long, (
        f"Modules over {MAX_LINES} lines: split them by what the code does "
        "(a package that re-exports its public names):\n" + "\n".join(long)
    )


def test_training_has_no_flat_modules_left():
    """training/ is one folder per domain: the old flat prefixes must not return."""
    flat = sorted(
        p.name
        for p in (ROOT / "training").glob("*.py")
        if p.name.split("_")[0] in {"views", "forms", "selectors", "urls", "demo"}
        or p.stem in {"views", "forms", "selectors", "services", "tasks"}
    )
    assert not flat, f"Flat modules at training/'s top: {flat}"
