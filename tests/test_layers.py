"""The layering contract: each layer imports only from the layers below it, without cycles.

The layers and what each owns are in ``docs/architecture.md``. Function-level
imports count as much as module-level ones; no module imports the package's
face (``symrecycle/__init__.py``), and no private name crosses from one
subpackage into another.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import symrecycle
from symrecycle.core import sym as _sym

PACKAGE = Path(symrecycle.__file__).parent
#: bottom to top; a module may import from its own layer and the ones before it
LAYERS = ("core", "solve", "numeric", "models", "io", "uncertainty", "report", "cli")
#: the longest a module may grow (lines)
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path, known: dict):
    """``(module, names, node)`` for every import of a package module in ``path``, at any depth.

    ``module`` is the imported module (a name imported from a package that is
    itself a module counts as that module); ``names`` the names taken from it.
    """
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "symrecycle":
                    yield a.name, (), node
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "symrecycle":
                continue
            plain = []
            for a in node.names:
                if f"{target}.{a.name}" in known:
                    yield f"{target}.{a.name}", (), node
                else:
                    plain.append(a.name)
            if plain:
                yield target, tuple(plain), node


def layer(module: str):
    """The layer index of a module; the face (``symrecycle``, its ``__main__``) is above every layer."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return len(LAYERS)
    return LAYERS.index(parts[1])


def subpackage(module: str) -> str:
    return ".".join(module.split(".")[:-1]) if module.count(".") > 1 else module


def violations(known: dict) -> list:
    """Every break of the contract in the modules ``known`` ({dotted name: path})."""
    out = []
    for me, path in known.items():
        if layer(me) == len(LAYERS):
            continue  # the face imports what it shows
        for target, names, node in imported(path, known):
            where = f"{me}:{node.lineno}"
            if target == "symrecycle":
                out.append(f"{where} imports the package's face")
            elif target not in known:
                out.append(f"{where} imports {target}, which is not a module of the package")
            elif layer(target) > layer(me):
                out.append(f"{where} imports {target} from a higher layer")
            elif names and known[target].name == "__init__.py" and target != subpackage(me):
                pass  # a subpackage's face, from outside it
            elif names and known[target].name == "__init__.py":
                out.append(f"{where} imports its own package's face {target}")
            private = [n for n in names if n.startswith("_")]
            if private and subpackage(target) != subpackage(me):
                out.append(f"{where} takes private {', '.join(private)} from {target}")
    return out


def graph(known: dict) -> dict:
    return {me: {t for t, _, _ in imported(p, known) if t in known and t != me} for me, p in known.items()}


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


def test_every_module_sits_in_a_layer():
    for name in modules():
        assert layer(name) <= len(LAYERS), name


def test_no_import_runs_up_a_layer_or_takes_a_private_name():
    assert violations(modules()) == []


def test_no_import_cycles():
    cycle = find_cycle(graph(modules()))
    assert cycle is None, " -> ".join(cycle)


def test_no_module_is_longer_than_the_limit():
    long = {name: n for name, p in modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_contract_catches_an_upward_import_a_face_import_and_a_private_name(tmp_path):
    """The same checks over a small fake tree with one of each break."""
    root = tmp_path / "symrecycle"
    files = {
        "__init__.py": "from .core.a import f\n",
        "core/__init__.py": "",
        "core/a.py": "def f():\n    from ..models import b\n    return b\n",
        "core/c.py": "import symrecycle as sr\n",
        "models/__init__.py": "",
        "models/b.py": "from ..core.a import f\n",
        "cli/__init__.py": "",
        "cli/d.py": "from ..models.b import _hidden\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    known = {".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): p
             for p in sorted(root.rglob("*.py"))}
    global PACKAGE
    saved, PACKAGE = PACKAGE, root
    try:
        found = violations(known)
        cycle = find_cycle(graph(known))
    finally:
        PACKAGE = saved
    assert found == [
        "symrecycle.cli.d:1 takes private _hidden from symrecycle.models.b",
        "symrecycle.core.a:2 imports symrecycle.models.b from a higher layer",
        "symrecycle.core.c:1 imports the package's face",
    ]
    assert cycle == ["symrecycle.core.a", "symrecycle.models.b", "symrecycle.core.a"]


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("text", ["__import__('os').system('true')", b"1+1", "x"])
def test_text_is_never_evaluated_by_the_one_sympify(text):
    # the package's only sympify (symrecycle.core.sym.as_sympy) takes numbers and SymPy objects only
    with pytest.raises(ValueError, match="text is read only from model files"):
        _sym.as_sympy(text)


def test_no_other_module_evaluates_text():
    evaluating = {"eval", "exec", "sympify", "parse_expr", "literal_eval"}
    found = []
    for name, p in modules().items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                call = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                if call in evaluating or (call in ("load", "loads") and "pickle" in ast.unparse(f)):
                    found.append(f"{name}: {ast.unparse(node)}")
    assert found == ["symrecycle.core.sym: sp.sympify(x, strict=True)"], found
