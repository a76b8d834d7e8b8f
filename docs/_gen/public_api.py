"""The public API, walked from the packages' ``__all__``: shared by the reference generator
(docs/_gen/reference.py) and the docstring test (tests/test_docs.py)."""

from __future__ import annotations

import importlib
import inspect
import types
from collections.abc import Iterator

# The packages, and their public submodules that are not in __all__ (loaded on first use).
PACKAGES = {"jaxnn": ["plot"], "pinn": ["plot"]}


def public_names(module: types.ModuleType) -> list[str]:
    """The module's ``__all__``, or else its public functions and classes defined in it."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", None) == module.__name__
    )


def submodules(package: types.ModuleType) -> list[types.ModuleType]:
    """The package's public submodules: the modules in ``__all__`` and the lazy extras."""
    modules = {name: getattr(package, name) for name in package.__all__
               if isinstance(getattr(package, name), types.ModuleType)}
    for name in PACKAGES.get(package.__name__, []):  # loaded on first use
        modules[name] = importlib.import_module(f"{package.__name__}.{name}")
    return [modules[name] for name in sorted(modules)]


def public_objects(methods: bool = False) -> Iterator[tuple[str, object]]:
    """``(qualified name, object)`` for every public name: the packages, their ``__all__``,
    their public submodules and their names; with `methods`, only the public methods and
    properties of the public classes instead."""
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in [package, *submodules(package)]:
            if not methods:
                yield module.__name__, module
            for name in public_names(module):
                value = getattr(module, name)
                if isinstance(value, types.ModuleType):
                    continue
                if not methods:
                    yield f"{module.__name__}.{name}", value
                elif inspect.isclass(value):
                    yield from public_methods(f"{module.__name__}.{name}", value)


def public_methods(qualified: str, cls: type) -> Iterator[tuple[str, object]]:
    """The public methods and properties the class itself defines (not inherited ones)."""
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if inspect.isfunction(value) or isinstance(value, property):
            yield f"{qualified}.{name}", value


def missing_docstrings(methods: bool = False) -> list[str]:
    """The qualified names of the public objects (with `methods`: the public methods of the
    public classes) that have no docstring."""
    missing = []
    for qualified, value in public_objects(methods):
        if isinstance(value, property):
            value = value.fget
        # inspect.getdoc: an override without a docstring inherits its base class's.
        doc = inspect.getdoc(value)
        if not (doc and doc.strip()):
            missing.append(qualified)
    return sorted(set(missing))


def public_home(module_name: str) -> str:
    """Where a name is documented: its module's path up to the first private part
    (``pinn.solver._solve`` -> ``pinn.solver``), since implementation files are private."""
    parts = module_name.split(".")
    private = [i for i, part in enumerate(parts) if part.startswith("_")]
    return ".".join(parts[: private[0]]) if private else module_name


def first_line(obj: object) -> str:
    """The docstring's first line, escaped for a Markdown table cell."""
    doc = inspect.getdoc(obj) or ""
    return (doc.strip().splitlines() or [""])[0].replace("|", "\\|")
