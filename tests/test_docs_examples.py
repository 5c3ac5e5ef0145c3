"""Every ```python example a user can copy from the docs runs, and does what its text says.

Covered files: ``README.md``, ``docs/seeds.md``, ``docs/scale-out.md`` and ``CHANGELOG.md``
(``DOC_FILES``). Every block fenced as ```python is run, in a fresh namespace per file, in a
temporary folder (the examples write model and Zarr files):

- ``README.md``: the blocks build on each other, as they do for a reader going down the page
  (the first one makes ``som``, ``X`` and ``y``; the views and the grid search use them), so they
  run in order in one namespace.
- ``docs/scale-out.md``: each block stands alone (both import what they use), so each runs in
  a namespace of its own.
- ``docs/seeds.md`` and ``CHANGELOG.md`` hold no Python block today (seeds.md shows its calls
  in tables; the compat READMEs it maps are run by ``tests/compat``); a block added there runs
  here on its own.

Blocks that are not Python (shell commands, pseudo-code) must be fenced as ```bash / ```text:
``test_every_python_block_compiles`` catches one left as ```python. ``docs/internals.md`` is
not covered: its ```python blocks are signature summaries of the modules, not examples.

Nothing runs a browser: the views are ipywidgets, built without a frontend as in
``tests/test_views.py``; ``display`` is a no-op in the namespace, and a block's last expression
is "shown" as Jupyter would show it, through its ``_repr_mimebundle_`` (the static picture).

Big sizes are shrunk only by the explicit table ``SUBSTITUTIONS`` (each entry must occur in its
file, so the table cannot drift from the docs); no block is skipped except, with the reason,
when an optional extra it imports (dask, distributed, zarr) is not installed. ``CHECKS`` then
asserts, per block, what the comments and the prose next to it claim, against values computed
here independently (scipy's cdist, counts by hand).
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.spatial.distance import cdist

pytest.importorskip("anywidget")

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = ("README.md", "docs/seeds.md", "docs/scale-out.md", "CHANGELOG.md")
# files whose blocks run in order in one namespace; the others' blocks each run alone
CUMULATIVE = {"README.md"}

# (file, text in the docs, text run instead, why). Rows, chunks and workers only: the examples'
# code paths stay the same, four partitions instead of forty.
SUBSTITUTIONS: list[tuple[str, str, str, str]] = [
    ("docs/scale-out.md", "size=(10_000_000, 32), chunks=(250_000, 32)",
     "size=(20_000, 32), chunks=(5_000, 32)", "10M rows take minutes; 4 partitions of 5k"),
    ("docs/scale-out.md", "N = 2_000_000", "N = 20_000", "2M rows take a minute"),
    ("docs/scale-out.md", "chunks=(100_000, 8)", "chunks=(5_000, 8)", "4 partitions of the 20k"),
    ("docs/scale-out.md", "chunks=100_000)", "chunks=5_000)", "the labels' chunks, as X's"),
]

# optional extras: a block naming one of these (an import, to_zarr) is skipped, with the reason,
# when it is not installed
EXTRAS = {"dask": "somwidget[dask]", "distributed": "somwidget[dask]", "zarr": "somwidget[zarr]"}


def python_blocks(name: str) -> list[tuple[int, str]]:
    """The ```python blocks of a docs file: (line of the first code line, code)."""
    text = (ROOT / name).read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1))
            for m in re.finditer(r"^```python[ \t]*\n(.*?)^```", text, flags=re.S | re.M)]


def substituted(name: str, code: str) -> str:
    for file, old, new, _ in SUBSTITUTIONS:
        if file == name:
            code = code.replace(old, new)
    return code


BLOCKS = [(name, i) for name in DOC_FILES for i, _ in enumerate(python_blocks(name))]


def block_id(param: tuple[str, int]) -> str:
    return f"{param[0]}#{param[1] + 1}"


@contextlib.contextmanager
def inside(folder: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


class Ran:
    """What running a block left: its namespace, its printed output, its last expression."""

    def __init__(self, env: dict, stdout: str, shown: Any, folder: Path) -> None:
        self.env, self.stdout, self.shown, self.folder = env, stdout, shown, folder


def execute(name: str, line: int, code: str, env: dict, folder: Path) -> Ran:
    """Run a block like a notebook cell: its last expression is the value Jupyter would show."""
    tree = ast.parse(code, filename=name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    ast.increment_lineno(tree, line - 1)  # tracebacks point at the docs file's lines
    out = io.StringIO()
    with inside(folder), contextlib.redirect_stdout(out):
        exec(compile(tree, name, "exec"), env)
        shown = None
        if last is not None:
            expr = ast.Expression(last.value)
            ast.increment_lineno(expr, line - 1)
            shown = eval(compile(expr, name, "eval"), env)
    return Ran(env, out.getvalue(), shown, folder)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, int], Ran]]:
    """Run block i of a file (and, in a CUMULATIVE file, the blocks before it, once each)."""
    done: dict[tuple[str, int], Ran] = {}
    envs: dict[str, dict] = {}
    folders: dict[str, Path] = {}

    def run(name: str, i: int) -> Ran:
        if (name, i) in done:
            return done[name, i]
        line, code = python_blocks(name)[i]
        for module, extra in EXTRAS.items():
            if module in code and importlib.util.find_spec(module) is None:  # to_zarr: zarr
                pytest.skip(f"{module} is not installed (pip install '{extra}')")
        if name in CUMULATIVE:
            if i > 0:
                run(name, i - 1)
            env = envs.setdefault(name, {"display": lambda *a, **k: None})
            folder = folders.setdefault(name, tmp_path_factory.mktemp("docs"))
        else:
            env = {"display": lambda *a, **k: None}
            folder = tmp_path_factory.mktemp("docs")
        done[name, i] = execute(name, line, substituted(name, code), env, folder)
        return done[name, i]

    yield run
    for ran in done.values():  # the views and the Studio's trainer hold comms / a thread
        for value in list(ran.env.values()) + [ran.shown]:
            if hasattr(value, "close") and type(value).__module__.startswith("somwidget.widgets"):
                value.close()


# ---------------------------------------------------------------- what each block claims
def training_space(som: Any, X: Any) -> np.ndarray:
    return som.normalizer_.transform(np.asarray(X, dtype=float))


def check_first_map(ran: Ran) -> None:
    env = ran.env
    som, X, y = env["som"], env["X"], env["y"]
    Xt = training_space(som, X)
    d = cdist(Xt, som.codebook_)
    want_bmus = d.argmin(axis=1)
    # print(...): quantization error, topographic error, vacancy rate
    qe, te, vacancy = (float(v) for v in ran.stdout.split())
    assert qe == pytest.approx(d.min(axis=1).mean(), rel=1e-9)
    second = np.argsort(d, axis=1)[:, 1]
    xy = som.lattice_.coordinates  # a flat hex sheet: neighbours are 1 apart in the plane
    adjacent = np.isclose(np.linalg.norm(xy[want_bmus] - xy[second], axis=1), 1.0)
    assert te == pytest.approx(1.0 - adjacent.mean())
    hits = np.bincount(want_bmus, minlength=20 * 15)
    assert vacancy == pytest.approx((hits == 0).mean())
    assert som.mapsize_ == (20, 15) and len(som.history_["quantization_error"]) == 40
    np.testing.assert_array_equal(env["bmus"], want_bmus)  # best-matching neuron per sample
    table = env["table"]  # label, bmu, row, col, distance per sample
    assert list(table.columns[:5]) == ["label", "bmu", "row", "col", "distance"]
    np.testing.assert_array_equal(table["label"], y)
    np.testing.assert_array_equal(table["bmu"], want_bmus)
    np.testing.assert_array_equal(table["row"] * 15 + table["col"], want_bmus)
    np.testing.assert_allclose(table["distance"], d.min(axis=1), rtol=1e-9)
    assert (ran.folder / "wine_som.json").is_file()
    np.testing.assert_array_equal(env["same"].codebook_, som.codebook_)
    np.testing.assert_array_equal(env["same"].predict(X), want_bmus)


def check_explorer(ran: Ran) -> None:
    env = ran.env
    ex, som, X = env["ex"], env["som"], env["X"]
    # hit map, U-matrix, component planes, neuron inspector
    assert None not in (ex.hit_map, ex.umatrix, ex.planes, ex.inspector)
    assert som.n_epochs_trained_ == 80  # the first block's 40 and these 40
    # the views redraw live (paced to the browser; the final state always), showing the final map
    assert ex.n_refreshes > 1
    bmus = cdist(training_space(som, X), som.codebook_).argmin(axis=1)
    hits = np.frombuffer(ex.hit_map.values, dtype="<f4")
    np.testing.assert_array_equal(hits, np.bincount(bmus, minlength=som.n_neurons_))
    # nothing clicked yet: no neurons, no rows; then the rows behind a selected neuron
    assert list(ex.selection.neurons) == []
    assert len(ran.shown) == 0
    k = int(np.bincount(bmus).argmax())
    ex.selection.select([k])
    rows = ex.selected_samples()
    assert sorted(rows.index) == sorted(X.index[bmus == k])
    ex.selection.clear()


def check_studio(ran: Ran) -> None:
    studio = ran.env["studio"]
    assert ran.shown is studio
    assert studio.trainer.som is not ran.env["som"]  # the Studio's own, fresh map
    assert studio.trainer.status == "idle"
    bundle = studio._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "<svg" in bundle["image/svg+xml"]  # the picture a saved notebook keeps


def check_grid_search(ran: Ran) -> None:
    env = ran.env
    som = ran.shown  # the fitted map, for every view and analysis
    assert som is env["grid"].best_estimator_[-1].som_
    assert som.mapsize_ == (12, 12) and som.codebook_.shape == (144, env["X"].shape[1])
    assert set(env["grid"].cv_results_["params"][0]) == {"somclassifier__som__epochs",
                                                         "somclassifier__mode"}
    assert len(env["grid"].cv_results_["params"]) == 4


def check_distributed(ran: Ran) -> None:
    som, qe = ran.env["som"], ran.env["qe"]
    X = ran.env["X"].compute()  # the random collection is the same each time it is computed
    assert som.n_epochs_trained_ == 10
    assert qe == pytest.approx(cdist(X, som.codebook_).min(axis=1).mean(), rel=1e-6)


def check_zarr(ran: Ran) -> None:
    import dask.array as da

    som, labels = ran.env["som"], ran.env["labels"]
    Z = da.from_zarr(str(ran.folder / "blobs.zarr")).compute()
    assert Z.dtype == np.float32 and Z.shape == (20_000, 8)
    assert isinstance(labels, da.Array)  # lazy Dask array of BMUs
    want = cdist(training_space(som, Z), som.codebook_).argmin(axis=1)
    written = da.from_zarr(str(ran.folder / "bmus.zarr")).compute()
    assert (written != want).mean() < 1e-3  # float32 near-ties aside (docs/scale-out.md)
    np.testing.assert_array_equal(ran.env["hits"], np.bincount(written, minlength=som.n_neurons_))


# (file, text that identifies the block, check): every entry must match exactly one block
CHECKS: list[tuple[str, str, Callable[[Ran], None]]] = [
    ("README.md", 'som.save("wine_som.json")', check_first_map),
    ("README.md", "ex = Explorer(som, X, labels=y)", check_explorer),
    ("README.md", "studio = Studio(", check_studio),
    ("README.md", "GridSearchCV(clf", check_grid_search),
    ("docs/scale-out.md", "LocalCluster(n_workers=2", check_distributed),
    ("docs/scale-out.md", 'to_zarr("blobs.zarr"', check_zarr),
]


def test_the_tables_match_the_docs() -> None:
    for file, old, _, _ in SUBSTITUTIONS:
        assert any(old in code for _, code in python_blocks(file)), (file, old)
    for file, marker, _ in CHECKS:
        assert sum(marker in code for _, code in python_blocks(file)) == 1, (file, marker)
    assert len(BLOCKS) >= 6  # the README's four and scale-out's two


@pytest.mark.parametrize("name", DOC_FILES)
def test_every_python_block_compiles(name: str) -> None:
    """A shell command or pseudo-code fenced as ```python is a SyntaxError here."""
    for line, code in python_blocks(name):
        compile(code, f"{name}:{line}", "exec")


@pytest.mark.parametrize("block", BLOCKS, ids=block_id)
def test_the_example_runs_and_does_what_it_says(block: tuple[str, int], runner) -> None:
    name, i = block
    ran = runner(name, i)
    code = python_blocks(name)[i][1]
    for file, marker, check in CHECKS:
        if file == name and marker in code:
            check(ran)


# ---------------------------------------------------------------- docstring examples
# documented modules outside the two __all__: the Trainer (the Studio's engine, docs/internals.md)
EXTRA_DOCTEST_MODULES = ("somwidget.trainer",)


def public_modules() -> list[str]:
    """The modules defining ``somwidget.__all__`` and ``somwidget.widgets.__all__``, and
    ``EXTRA_DOCTEST_MODULES``."""
    import inspect

    import somwidget
    import somwidget.widgets

    names = set(EXTRA_DOCTEST_MODULES)
    for package in (somwidget, somwidget.widgets):
        for attr in package.__all__:
            obj = getattr(package, attr)
            module = obj if inspect.ismodule(obj) else inspect.getmodule(obj)
            if module is not None and module.__name__.startswith("somwidget"):
                names.add(module.__name__)
    return sorted(names)


def test_the_docstring_examples_of_the_public_api_run() -> None:
    """``>>>`` examples run in a fresh namespace, as a user pasting them would (their imports
    included), and print what they show (``# doctest: +SKIP`` lines are not run)."""
    import doctest
    import importlib

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    ran = []
    for name in public_modules():
        for test in finder.find(importlib.import_module(name), name, globs={}):
            if any(not ex.options.get(doctest.SKIP) for ex in test.examples):
                runner.run(test, out=lambda text: pytest.fail(text, pytrace=False))
                ran.append(test.name)
    assert {"somwidget.lattice.Lattice", "somwidget.supervised.SOMClassifier",
            "somwidget.trainer"} <= set(ran)
