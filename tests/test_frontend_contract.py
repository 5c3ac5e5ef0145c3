"""The typed front-end contract: js/src/models.ts names exactly the traits Python syncs.

js/src/models.ts holds one TypeScript interface per Python anywidget class (a ``// python:`` line
above each names the classes it describes). This test parses that file, our own code written in a
fixed style (``export interface X extends Y {``, one ``name: type;`` per line, ``}`` at column 0),
and checks, for every anywidget class in the package, that the interface's fields are the synced
traits the class adds to ipywidgets' own and that each field's type matches its trait. It fails
when a trait is added, renamed or retyped on one side only, or when a new anywidget class has no
interface.
"""

from __future__ import annotations

import importlib
import pathlib
import pkgutil
import re
import sys

import anywidget
import pytest
import traitlets
from ipywidgets import Widget

import somwidget
from somwidget.widgets.codecs import NDArray

MODELS_TS = pathlib.Path(__file__).resolve().parent.parent / "js" / "src" / "models.ts"

_INTERFACE = re.compile(r"^export interface (\w+)(?: extends (\w+))? \{$")
_FIELD = re.compile(r"^  (\w+)(\?)?: ([^;]+);(?:\s*//.*)?$")
_PYTHON = re.compile(r"^// python: ([\w ]+)$")


def parse_models(text: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """({interface: {field: type}} with inherited fields, {python class name: interface})."""
    own: dict[str, dict[str, str]] = {}
    parent: dict[str, str | None] = {}
    owners: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _INTERFACE.match(lines[i])
        if not m:
            i += 1
            continue
        name, base = m.group(1), m.group(2)
        claimed = _PYTHON.match(lines[i - 1]) if i else None
        for cls in (claimed.group(1).split() if claimed else []):
            assert cls not in owners, f"models.ts: {cls} is claimed by {owners[cls]} and {name}"
            owners[cls] = name
        fields: dict[str, str] = {}
        i += 1
        while lines[i] != "}":
            f = _FIELD.match(lines[i])
            if f:
                fields[f.group(1)] = f.group(3).strip()
            elif lines[i].strip() and not lines[i].strip().startswith(("//", "/*", "*")):
                raise ValueError(f"models.ts line {i + 1}: not `name: type;` inside {name}: {lines[i]!r}")
            i += 1
        own[name], parent[name] = fields, base
        i += 1

    def resolved(name: str) -> dict[str, str]:
        base = parent[name]
        return {**(resolved(base) if base else {}), **own[name]}

    return {name: resolved(name) for name in own}, owners


def anywidget_classes() -> dict[str, type]:
    """Every anywidget class the package defines (imports all its modules first)."""
    for mod in pkgutil.walk_packages(somwidget.__path__, "somwidget."):
        importlib.import_module(mod.name)
    found: dict[str, type] = {}
    todo = list(anywidget.AnyWidget.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        module = sys.modules.get(cls.__module__)
        # anywidget's add_traits() makes per-instance subclasses of the same name: skip them
        if cls.__module__.startswith("somwidget.") and getattr(module, cls.__name__, None) is cls:
            found[cls.__name__] = cls
    return found


def own_synced_traits(cls: type) -> dict[str, traitlets.TraitType]:
    """The synced traits ``cls`` adds to anywidget's (and so ipywidgets') own."""
    base = set(anywidget.AnyWidget.class_trait_names(sync=True))
    traits = cls.class_traits(sync=True)
    return {n: t for n, t in traits.items() if n not in base}


_LITERALS = re.compile(r'^"[^"]*"(?: \| "[^"]*")*$')


def type_problem(trait: traitlets.TraitType, ts: str) -> str | None:
    """Why the TypeScript type ``ts`` cannot hold ``trait``'s value in the browser (None: it can)."""
    if isinstance(trait, NDArray):
        want = "EncodedArray<" + " | ".join(f'"{d.name}"' for d in trait.dtypes) + ">"
        return None if ts == want else f"expected {want}"
    if isinstance(trait, traitlets.Bool):
        return None if ts == "boolean" else "expected boolean"
    if isinstance(trait, (traitlets.Int, traitlets.Float)):
        return None if ts == "number" else "expected number"
    if isinstance(trait, traitlets.Unicode):
        return None if ts == "string" or _LITERALS.match(ts) else "expected string or string literals"
    if isinstance(trait, traitlets.List):
        if not ts.endswith("[]"):
            return "expected an array type (T[])"
        return type_problem(trait._trait, ts[:-2]) if trait._trait is not None else None
    if isinstance(trait, traitlets.Dict):
        return None if re.fullmatch(r"\w+|Record<.+>", ts) else "expected an object type"
    if isinstance(trait, traitlets.Instance) and issubclass(trait.klass, Widget):
        return None if ts == "WidgetRef" else "expected WidgetRef (widget_serialization)"
    return f"no type rule for {type(trait).__name__}: add one to tests/test_frontend_contract.py"


def contract_problems(cls: type, fields: dict[str, str]) -> list[str]:
    traits = own_synced_traits(cls)
    out = [f"{cls.__name__}.{n}: synced in Python, missing in models.ts" for n in sorted(set(traits) - set(fields))]
    out += [f"{cls.__name__}.{n}: in models.ts, not a synced trait in Python" for n in sorted(set(fields) - set(traits))]
    for n in sorted(set(traits) & set(fields)):
        why = type_problem(traits[n], fields[n])
        if why:
            out.append(f"{cls.__name__}.{n}: models.ts says {fields[n]}; {why}")
    return out


INTERFACES, OWNERS = parse_models(MODELS_TS.read_text(encoding="utf-8"))
CLASSES = anywidget_classes()


def test_every_anywidget_class_has_an_interface():
    assert {"LatticeView", "HitMap", "UMatrix", "QualityMap", "LabelMap", "ComponentPlanes",
            "Selection"} <= set(CLASSES)
    assert set(OWNERS) == set(CLASSES), "models.ts `// python:` lines must name every anywidget class"
    assert OWNERS["ComponentPlanes"] == "PlanesModel" and OWNERS["Selection"] == "SelectionModel"


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_interface_fields_are_the_synced_traits(name):
    cls = CLASSES[name]
    fields = INTERFACES[OWNERS[name]]
    assert contract_problems(cls, fields) == []
    assert fields  # the parser found the fields (an empty parse would pass vacuously)


def test_the_contract_check_catches_one_sided_changes():
    # the parser reads inheritance and the check flags a trait on one side only, and a bad type
    fields = INTERFACES["PlanesModel"]
    assert {"rows", "values", "plane_values", "enlarged"} <= set(fields)
    cp = CLASSES["ComponentPlanes"]
    assert contract_problems(cp, {k: v for k, v in fields.items() if k != "vmins"}) == [
        "ComponentPlanes.vmins: synced in Python, missing in models.ts"]
    assert contract_problems(cp, {**fields, "extra": "number"}) == [
        "ComponentPlanes.extra: in models.ts, not a synced trait in Python"]
    assert contract_problems(cp, {**fields, "sizes": 'EncodedArray<"float64">'}) == [
        'ComponentPlanes.sizes: models.ts says EncodedArray<"float64">; expected EncodedArray<"float32">']
    assert contract_problems(cp, {**fields, "rows": "string"}) == [
        "ComponentPlanes.rows: models.ts says string; expected number"]

    class Extended(cp):  # a trait added in Python only
        halo = traitlets.Bool(False).tag(sync=True)

    assert contract_problems(Extended, fields) == ["Extended.halo: synced in Python, missing in models.ts"]
    parsed, owners = parse_models(
        "// python: A\nexport interface AModel extends BModel {\n  a: number;\n}\n"
        "export interface BModel {\n  b?: string; // note\n  c: number[];\n}\n")
    assert owners == {"A": "AModel"}
    assert parsed == {"AModel": {"b": "string", "c": "number[]", "a": "number"},
                      "BModel": {"b": "string", "c": "number[]"}}
    with pytest.raises(ValueError, match="not `name: type;`"):
        parse_models("export interface X {\n  get(name: string): number;\n}\n")
