"""The house stays tidy: no import cycle anywhere in our packages (import-linter's layers
contract orders the packages; this catches a cycle inside one package too), and the core's top
holds only a few modules."""

from __future__ import annotations

from pathlib import Path

import grimp

import bot

PACKAGES = ("bot", "adapters", "storage", "app")


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
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


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_anywhere() -> None:
    graph = grimp.build_graph(*PACKAGES)
    ours = {m for m in graph.modules if m.split(".")[0] in PACKAGES}
    edges = {m: graph.find_modules_directly_imported_by(m) & ours for m in ours}
    assert _cycles(edges) == []


def test_the_core_is_a_handful_of_packages_and_few_top_modules() -> None:
    top = Path(bot.__file__).parent
    modules = sorted(p.name for p in top.glob("*.py") if p.name != "__init__.py")
    assert modules == ["config.py", "errors.py"]
    packages = sorted(p.name for p in top.iterdir() if (p / "__init__.py").exists())
    assert len(packages) <= 12, packages
