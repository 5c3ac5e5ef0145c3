"""The package's import graph, read from the source with ``ast``: no cycle, and the compute
modules never reach the widget toolkits.

Every ``import`` / ``from ... import`` counts, at module level or inside a function, relative or
absolute, as do ``importlib.import_module`` calls with literal arguments. ``from pkg import name``
is an edge to the module ``pkg.name`` when there is one, else to ``pkg`` itself. Importing a
submodule also runs its parent packages' ``__init__``, but Python does that before the submodule
starts, so it is not an edge of the submodule (else every module would "import" the package).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import somwidget

ROOT = Path(somwidget.__file__).parent
WIDGET_TOOLKITS = {"ipywidgets", "anywidget", "bqplot", "traitlets"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = ["somwidget", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package_of(module: str) -> str:
    """The package relative imports in ``module`` start from."""
    return module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]


def _resolve(module: str, target: str | None, level: int) -> str:
    if not level:
        return target or ""
    base = _package_of(module).split(".")
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _imports(module: str) -> list[str]:
    """Every module name ``module`` imports (top-level names of outside packages included)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"), str(MODULES[module]))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node.module, node.level)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                names.append(sub if sub in MODULES else base)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            target = node.args[0].value
            level = len(target) - len(target.lstrip("."))
            names.append(_resolve(module, target.lstrip(".") or None, level) if level else target)
    return names


def _graph() -> dict[str, set[str]]:
    return {
        m: {n for n in _imports(m) if n in MODULES and n != m} for m in MODULES
    }


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as ``[a, b, ..., a]``, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_the_graph_is_read_from_every_module():
    graph = _graph()
    assert {"somwidget.som", "somwidget.persistence", "somwidget.widgets.studio"} <= set(graph)
    # spot checks of each kind of import the parser must resolve
    assert "somwidget.training" in graph["somwidget._som_training"]  # from . import training as _training
    assert "somwidget.lattice" in graph["somwidget.som"]  # from .lattice import ...
    assert "somwidget.som" in graph["somwidget.widgets.studio_controls"]  # from ..som import ...
    assert "somwidget._som_state" in graph["somwidget.som"]  # from ._som_state import _StateMixin
    # function-level: from . import analysis
    assert "somwidget.analysis" in graph["somwidget._som_results"]
    assert "somwidget.widgets" in graph["somwidget"]  # importlib.import_module(".widgets", ...)


def test_find_cycle_reports_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_import_graph_has_no_cycle():
    cycle = _find_cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_persistence_is_a_leaf():
    assert _graph()["somwidget.persistence"] == set()


COMPUTE = sorted(m for m in MODULES if not m.startswith("somwidget.widgets"))


@pytest.mark.parametrize("module", COMPUTE)
def test_compute_modules_do_not_import_widget_toolkits(module):
    toolkits = {n.split(".")[0] for n in _imports(module)} & WIDGET_TOOLKITS
    assert not toolkits, f"{module} imports {sorted(toolkits)}"


# somwidget.compat (the seed libraries' APIs) is a facade like the package __init__: its plotting
# functions build views, importing somwidget.widgets inside the function only; tests/compat checks
# that importing it loads no widget toolkit
FACADES = ("somwidget", "somwidget.compat")


@pytest.mark.parametrize("module", [m for m in COMPUTE
                                    if m not in FACADES and not m.startswith("somwidget.compat.")])
def test_compute_modules_do_not_reach_the_widgets(module):
    # the package __init__ imports somwidget.widgets lazily, on first access of a view's name
    graph = _graph()
    seen, todo = set(), [module]
    while todo:
        for n in graph[todo.pop()] - seen:
            seen.add(n)
            todo.append(n)
    assert not {n for n in seen if n.startswith("somwidget.widgets")}, seen
