"""House rules that keep the code base easy to carry on (no TensorFlow import here)."""

import ast
import pathlib
import re

import pytest

import keras_lr

PACKAGE = pathlib.Path(keras_lr.__file__).resolve().parent
MODULES = sorted(PACKAGE.rglob("*.py"))
INTERNALS = PACKAGE / "_keras.py"


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_private_access_is_gated_by_ruff_with_only_the_internals_module_exempt():
    """ruff's SLF001 (`obj._private`) runs in CI; in the package only keras_lr/_keras.py may
    touch Keras's private attributes, and nothing may import `keras.src`."""
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["ruff"]
    assert "SLF" in config["lint"]["select"] or "SLF001" in config["lint"]["select"]
    exempt = [path for path, rules in config["lint"]["per-file-ignores"].items()
              if {"SLF", "SLF001"} & set(rules)]
    assert [p for p in exempt if p.startswith("keras_lr")] == ["keras_lr/_keras.py"]
    assert all(p.startswith(("keras_lr/_keras.py", "tests/", "benchmarks/")) for p in exempt)
    offenders = []
    for path in MODULES:
        if path == INTERNALS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                    a.name for a in node.names]
                offenders += [f"{path.relative_to(PACKAGE)}:{node.lineno} {n}"
                              for n in names if n.startswith("keras.src")]
    assert not offenders


def test_the_lazy_names_are_the_public_names():
    """`keras_lr.__all__` (literal, for tools) and the table its `__getattr__` reads agree."""
    from keras_lr import _SOURCES

    assert sorted(keras_lr.__all__) == sorted([*_SOURCES, "__version__"])
    assert set(keras_lr.__all__) <= set(dir(keras_lr))
    for name in keras_lr.__all__:
        assert getattr(keras_lr, name) is not None, name


def test_the_internals_module_names_what_it_touches():
    text = INTERNALS.read_text()
    for name in ("_learning_rate", "inner_optimizer", "_track_variable", "keras.src"):
        assert name in text
    assert re.search(r"Keras 3\.\d+", text)  # the versions it was checked against


def imports_of(path):
    """keras_lr modules imported anywhere in `path` (function bodies included)."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(
        ".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("keras_lr")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            if base.startswith("keras_lr"):
                found.add(base)
                found |= {f"{base}.{a.name}" for a in node.names}
    known = {module_name(p) for p in MODULES}
    return {name for name in found if name in known} - {module_name(path)}


def test_no_import_cycle_inside_keras_lr():
    graph = {module_name(p): imports_of(p) for p in MODULES}
    # A package's __init__ re-exports its modules; an edge into it from its own modules
    # would be a cycle, an edge out of it is not one worth reporting separately.
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):
                continue  # a package importing its own submodules
            if state.get(nxt) == "open":
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles


def test_modules_are_a_page_or_two():
    long = {str(p.relative_to(PACKAGE)): n for p in MODULES
            if (n := len(p.read_text().splitlines())) > 300}
    assert not long
