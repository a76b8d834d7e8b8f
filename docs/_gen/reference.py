"""Generate the API reference from the packages' ``__all__`` (run by mkdocs-gen-files).

One page per package for the names it exports directly (grouped by the module that defines
them), and one page per public submodule (those in ``__all__``, plus the plotting modules that
load lazily). A name added to ``__all__`` appears here on the next build, with no edit to the
docs; a public name without a docstring fails the build (and ``tests/test_docs.py``).
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

import mkdocs_gen_files

sys.path.insert(0, str(Path(__file__).parent))
from public_api import (
    PACKAGES,
    first_line,
    missing_docstrings,
    public_home,
    public_names,
    submodules,
)

missing = missing_docstrings()
if missing:
    raise SystemExit(
        "docs: these public names have no docstring (each is a page of the API reference; "
        "add one): " + ", ".join(missing)
    )


def module_page(path: str, module: types.ModuleType) -> None:
    names = [name for name in public_names(module)
             if not isinstance(getattr(module, name), types.ModuleType)]
    with mkdocs_gen_files.open(path, "w") as page:
        page.write(f"# `{module.__name__}`\n\n")
        page.write(f"::: {module.__name__}\n")
        page.write("    options:\n      show_root_heading: false\n      show_source: false\n")
        if names:
            page.write(f"      members: [{', '.join(names)}]\n")
        page.write("      heading_level: 2\n")


def package_page(path: str, package: types.ModuleType) -> None:
    groups: dict[str, list[str]] = {}
    for name in package.__all__:
        value = getattr(package, name)
        if not isinstance(value, types.ModuleType):
            groups.setdefault(public_home(value.__module__), []).append(name)
    with mkdocs_gen_files.open(path, "w") as page:
        page.write(f"# `{package.__name__}`\n\n")
        page.write(f"::: {package.__name__}\n    options:\n      show_root_heading: false\n")
        page.write("      members: false\n\n")
        page.write("| name | what it is |\n|---|---|\n")
        for names in groups.values():
            for name in names:
                summary = first_line(getattr(package, name))
                page.write(f"| [`{name}`](#{package.__name__}.{name}) | {summary} |\n")
        for module_name, names in groups.items():
            page.write(f"\n## From `{module_name}`\n\n")
            for name in names:
                page.write(f"::: {package.__name__}.{name}\n"
                           "    options:\n      heading_level: 3\n\n")


summary = mkdocs_gen_files.open("reference/SUMMARY.md", "w")
summary.write("* [Overview](index.md)\n")
overview = [
    "# API reference\n\n",
    "Generated at every build from the docstrings of every public name: the names in the\n",
    "packages' `__all__`, their public submodules, and the plotting modules `jaxnn.plot` and\n",
    "`pinn.plot`.\n\n",
]
for package_name in PACKAGES:
    package = importlib.import_module(package_name)
    package_page(f"reference/{package_name}/index.md", package)
    summary.write(f"* [`{package_name}`]({package_name}/index.md)\n")
    overview.append(f"- [`{package_name}`]({package_name}/index.md): {first_line(package)}\n")
    for module in submodules(package):
        name = module.__name__.split(".")[-1]
        module_page(f"reference/{package_name}/{name}.md", module)
        summary.write(f"    * [`{module.__name__}`]({package_name}/{name}.md)\n")
        overview.append(f"    - [`{module.__name__}`]({package_name}/{name}.md): "
                        f"{first_line(module)}\n")
summary.close()
with mkdocs_gen_files.open("reference/index.md", "w") as page:
    page.writelines(overview)
