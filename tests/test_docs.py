"""The documentation cannot drift from the library.

- Every ```python block of the guides (docs/**/*.md) and of the README runs, in order, one
  namespace per page (a later block may use what an earlier one defined), in a temporary
  working directory. A block that is illustrative only is marked on the line before its fence
  with ``<!-- docs-test: skip -->``; keep that rare.
- The README's tour uses real sizes; its blocks run here with the sizes shrunk by the
  substitutions in `README_SHRINK` (each must match, so a README edit cannot silently skip one).
- Every public name (the packages' ``__all__``, their public submodules and the names in
  them) and every public method of a public class has a docstring: each is a page of the API
  reference (docs/_gen/reference.py, which fails the build on the same condition).

The site itself is built by ``mkdocs build --strict`` (see .ci/run); the example gallery runs
the examples then.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import jax
import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIP_MARK = "<!-- docs-test: skip -->"
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)(?P<rest>.*)$")

# The README's blocks at a size for a test: (what the README says, what runs here).
README_SHRINK = [
    ("datasets.pid_toy(20_000, seed=0)", "datasets.pid_toy(2_000, seed=0)"),
    ("epochs=30, batch_size=256", "epochs=2, batch_size=256"),
    ("GaussNewton(steps=150)", "GaussNewton(steps=3)"),
    ("Collocation(interior=1500,", "Collocation(interior=200,"),
]


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    code: str
    skip: bool


def python_blocks(path: Path) -> list[Block]:
    """The fenced ```python blocks of a Markdown file, with their line numbers."""
    lines = path.read_text().splitlines()
    blocks, index = [], 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match or not match["lang"]:
            index += 1
            continue
        indent, start = len(match["indent"]), index
        end = start + 1
        while end < len(lines) and not lines[end].strip().startswith("```"):
            end += 1
        if match["lang"] == "python":
            previous = next((line.strip() for line in reversed(lines[:start]) if line.strip()), "")
            code = "\n".join(line[indent:] for line in lines[start + 1 : end])
            blocks.append(Block(path, start + 1, code, previous == SKIP_MARK))
        index = end + 1
    return blocks


def doc_pages() -> list[Path]:
    pages = sorted(DOCS.rglob("*.md"))
    return [ROOT / "README.md", *[page for page in pages if "_gen" not in page.parts]]


def shrink(path: Path, code: str, used: set[int]) -> str:
    if path.name != "README.md" or path.parent != ROOT:
        return code
    for number, (old, new) in enumerate(README_SHRINK):
        if old in code:
            code = code.replace(old, new)
            used.add(number)
    return code


def run_page(path: Path) -> None:
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    used: set[int] = set()
    # A page on float64 switches JAX's x64 mode on, as a script does at its top; the other
    # tests of this process get the setting back.
    x64_before = jax.config.jax_enable_x64
    try:
        run_blocks(path, namespace, used)
    finally:
        jax.config.update("jax_enable_x64", x64_before)
    if path.name == "README.md" and path.parent == ROOT:
        unused = [README_SHRINK[n][0] for n in range(len(README_SHRINK)) if n not in used]
        assert not unused, f"README.md no longer contains {unused}: update README_SHRINK."


def run_blocks(path: Path, namespace: dict, used: set[int]) -> None:
    for block in python_blocks(path):
        if block.skip:
            continue
        code = shrink(path, block.code, used)
        where = f"{path.relative_to(ROOT)}:{block.line}"
        try:
            exec(compile(code, where, "exec"), namespace)  # noqa: S102
        except Exception as error:
            raise AssertionError(f"the code block at {where} failed: {error!r}") from error
        finally:
            plt.close("all")


@pytest.mark.parametrize("path", doc_pages(), ids=lambda path: str(path.relative_to(ROOT)))
def test_code_blocks_of_the_page_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JAXNN_CACHE_DIR", str(tmp_path / "xla-cache"))
    run_page(path)


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
    spec = importlib.util.spec_from_file_location("docs_public_api", DOCS / "_gen" / "public_api.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


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
    spec = importlib.util.spec_from_file_location("docs_examples", DOCS / "_gen" / "examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines the gallery; builds nothing outside mkdocs
    examples = {path.stem for path in (ROOT / "examples").glob("*.py")}
    assert examples <= set(module.SMALL_RUNS), "add the new example to SMALL_RUNS"
