"""The package's modules import one another without cycles (function-level imports count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import symrecycle

PACKAGE = Path(symrecycle.__file__).parent


def imports_of(path: Path) -> set:
    """The package modules that ``path`` imports, anywhere in it (``import symrecycle`` itself aside)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 1:
            out |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        elif node.module == "symrecycle":
            out |= {a.name for a in node.names}
        elif node.module and node.module.startswith("symrecycle."):
            out.add(node.module.split(".")[1])
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    return (out & modules) - {path.stem}


def find_cycle(graph):
    """One cycle of ``graph`` ({node: set of nodes}) as a list, or None."""
    state = {}

    def visit(v, path):
        state[v] = "open"
        for w in sorted(graph.get(v, ())):
            if state.get(w) == "open":
                return [*path[path.index(w):], w]
            if w not in state and (found := visit(w, [*path, w])):
                return found
        state[v] = "done"
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v, [v])):
            return found
    return None


def test_no_import_cycles():
    graph = {p.stem: imports_of(p) for p in PACKAGE.glob("*.py")}
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("text", ["__import__('os').system('true')", b"1+1", "x"])
def test_text_is_never_evaluated_by_the_one_sympify(text):
    # the package's only sympify (symrecycle._sym.as_sympy) takes numbers and SymPy objects only
    from symrecycle import _sym

    with pytest.raises(ValueError, match="text is read only from model files"):
        _sym.as_sympy(text)


def test_no_other_module_evaluates_text():
    evaluating = {"eval", "exec", "sympify", "parse_expr", "literal_eval"}
    found = []
    for p in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                if name in evaluating or (name in ("load", "loads") and "pickle" in ast.unparse(f)):
                    found.append(f"{p.name}: {ast.unparse(node)}")
    assert found == ["_sym.py: sp.sympify(x, strict=True)"], found
