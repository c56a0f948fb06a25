"""The type stubs shipped in the wheel name exactly what the modules export."""

import ast
import os

import spot
from spot import _spot


def stub_names(stub: str) -> set:
    """Names a stub file of the installed package defines or re-exports."""
    with open(os.path.join(os.path.dirname(spot.__file__), stub)) as f:
        tree = ast.parse(f.read())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names


def test_native_stub_is_complete():
    exported = {n for n in dir(_spot) if not n.startswith("__") or n == "__version__"}
    assert exported <= stub_names("_spot.pyi"), exported - stub_names("_spot.pyi")


def test_package_stub_is_complete():
    assert set(spot.__all__) <= stub_names("__init__.pyi"), set(spot.__all__) - stub_names("__init__.pyi")


def test_every_public_item_has_a_docstring():
    for name in spot.__all__:
        item = getattr(spot, name)
        if callable(item):
            assert item.__doc__, name
