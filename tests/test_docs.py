"""The documentation cannot drift from the library.

- Every ```python block of the guides (docs/**/*.md) and of the README runs at every build of
  the site (docs/_gen/code_blocks.py, a build step: a failing block fails ``mkdocs build``).
  The same runs are tests here, in the slow suite (``pytest -m slow tests/test_docs.py``); the
  default suite checks the extraction and that the build runs them.
- Every public name (the packages' ``__all__``, their public submodules and the names in
  them) and every public method of a public class has a docstring: each is a page of the API
  reference (docs/_gen/reference.py, which fails the build on the same condition).

The site itself is built by ``mkdocs build --strict`` (see .ci/run); the example gallery runs
the examples then.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def load_gen(name: str):
    """A module of docs/_gen (the build's scripts), imported by path."""
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / "_gen" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


code_blocks = load_gen("code_blocks")
python_blocks, doc_pages = code_blocks.python_blocks, code_blocks.doc_pages


@pytest.mark.slow
@pytest.mark.parametrize("path", doc_pages(), ids=lambda path: str(path.relative_to(ROOT)))
def test_code_blocks_of_the_page_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JAXNN_CACHE_DIR", str(tmp_path / "xla-cache"))
    code_blocks.run_page(path)


def test_the_site_build_runs_the_code_blocks_and_the_examples():
    lines = [line.strip() for line in (ROOT / "mkdocs.yml").read_text().splitlines()]
    assert "strict: true" in lines
    assert {"- docs/_gen/code_blocks.py", "- docs/_gen/examples.py"} <= set(lines)


def test_a_failing_block_fails_naming_its_page_and_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# t\n\n```python\nx = 1\n```\n\n```python\nassert x == 2\n```\n")
    with pytest.raises(AssertionError, match="page.md:7"):
        code_blocks.run_page(page)
    page.write_text("# t\n\n```python\nx = 1\n```\n\n```python\nassert x == 1\n```\n")
    code_blocks.run_page(page)


def test_every_guide_has_code_that_runs_and_skips_are_rare():
    blocks = [block for page in doc_pages() for block in python_blocks(page)]
    skipped = [f"{block.path.name}:{block.line}" for block in blocks if block.skip]
    assert len(blocks) >= 20
    assert len(skipped) <= max(2, len(blocks) // 10), f"too many skipped blocks: {skipped}"


def test_block_extraction_keeps_order_lines_and_skip_marks(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n```python\na = 1\n```\n\ntext\n\n<!-- docs-test: skip -->\n```python\nb\n```\n"
        "```bash\nls\n```\n!!! note\n    ```python\n    c = a + 1\n    ```\n"
    )
    blocks = python_blocks(page)
    assert [(block.line, block.code, block.skip) for block in blocks] == [
        (3, "a = 1", False),
        (10, "b", True),
        (17, "c = a + 1", False),
    ]


def load_public_api():
    return load_gen("public_api")


def test_every_public_name_has_a_docstring():
    public_api = load_public_api()
    names = [name for name, _ in public_api.public_objects()]
    assert {"jaxnn.fit", "jaxnn.metrics.roc_curve", "jaxnn.plot.roc", "pinn.solve"} <= set(names)
    assert public_api.missing_docstrings() == []


def test_every_public_method_has_a_docstring():
    public_api = load_public_api()
    methods = [name for name, _ in public_api.public_objects(methods=True)]
    assert "jaxnn.EarlyStopping.stop_message" in methods
    assert public_api.missing_docstrings(methods=True) == []


def test_every_example_has_a_small_docs_run():
    module = load_gen("examples")  # defines the gallery; builds nothing outside mkdocs
    examples = {path.stem for path in (ROOT / "examples").glob("*.py")}
    assert examples <= set(module.SMALL_RUNS), "add the new example to SMALL_RUNS"
