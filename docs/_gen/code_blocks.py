"""Every ```python block of the guides and the README runs in the build (mkdocs-gen-files runs
this file at every build), so the site cannot drift from the library.

- The blocks of one page run in order in one namespace (a later block may use what an earlier
  one defined), in a temporary working directory, each page in a fresh Python process (two at
  a time). A block that is illustrative only is marked on the line before its fence with
  ``<!-- docs-test: skip -->``; keep that rare.
- The README's tour uses real sizes; its blocks run here with the sizes shrunk by the
  substitutions in `README_SHRINK` (each must match, so a README edit cannot silently skip one).
- A block that fails fails the build, naming the page and the line of its fence.

``python docs/_gen/code_blocks.py PAGE.md`` runs one page; ``tests/test_docs.py`` uses the same
functions (its page runs are in the slow suite, since the build runs them all).
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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
    """One fenced block: its page, the 1-based line of its opening fence, its code, and
    whether it is marked to be skipped."""

    path: Path
    line: int
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
    """The README and every hand-written page of the site (not the generated ones)."""
    pages = sorted(DOCS.rglob("*.md"))
    return [ROOT / "README.md", *[page for page in pages if "_gen" not in page.parts]]


def shrink(path: Path, code: str, used: set[int]) -> str:
    """The README's block at test size (other pages unchanged); records the rules used."""
    if path.name != "README.md" or path.parent != ROOT:
        return code
    for number, (old, new) in enumerate(README_SHRINK):
        if old in code:
            code = code.replace(old, new)
            used.add(number)
    return code


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run_page(path: Path) -> None:
    """Run the page's blocks in this process, in order, in one namespace; raise an
    AssertionError naming the block that failed."""
    import jax
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace: dict = {"__name__": f"docs_{path.stem}"}
    used: set[int] = set()
    # A page on float64 switches JAX's x64 mode on, as a script does at its top; the caller
    # (a test process) gets the setting back.
    x64_before = jax.config.jax_enable_x64
    try:
        for block in python_blocks(path):
            if block.skip:
                continue
            code = shrink(path, block.code, used)
            where = f"{_shown(path)}:{block.line}"
            try:
                exec(compile(code, where, "exec"), namespace)  # noqa: S102
            except Exception as error:
                raise AssertionError(f"the code block at {where} failed: {error!r}") from error
            finally:
                plt.close("all")
    finally:
        jax.config.update("jax_enable_x64", x64_before)
    if path.name == "README.md" and path.parent == ROOT:
        unused = [README_SHRINK[n][0] for n in range(len(README_SHRINK)) if n not in used]
        assert not unused, f"README.md no longer contains {unused}: update README_SHRINK."


def run_page_apart(path: Path) -> tuple[Path, float, str | None]:
    """Run one page in a fresh process in a scratch directory: (page, seconds, the error's
    last lines or None)."""
    with tempfile.TemporaryDirectory(prefix="docs-blocks-") as work:
        env = {**os.environ, "MPLBACKEND": "Agg", "JAXNN_CACHE_DIR": str(Path(work) / "xla")}
        start = time.perf_counter()
        process = subprocess.run([sys.executable, __file__, str(path)], cwd=work, env=env,
                                 capture_output=True, text=True, timeout=1200, check=False)
        seconds = time.perf_counter() - start
    error = None if process.returncode == 0 else process.stderr[-3000:]
    return path, seconds, error


def main() -> None:
    """The build step: every page with Python blocks, two processes at a time."""
    pages = [page for page in doc_pages() if any(not b.skip for b in python_blocks(page))]
    start = time.perf_counter()
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max(1, min(2, os.cpu_count() or 1))) as pool:
        for path, _seconds, error in pool.map(run_page_apart, pages):
            if error:
                failures.append(f"{_shown(path)}:\n{error}")
    if failures:
        raise RuntimeError("docs: code blocks failed:\n\n" + "\n\n".join(failures))
    blocks = sum(len(python_blocks(page)) for page in pages)
    print(f"docs: ran the {blocks} Python blocks of {len(pages)} pages in "
          f"{time.perf_counter() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__" and len(sys.argv) == 2:  # one page, in this process
    run_page(Path(sys.argv[1]).resolve())
# mkdocs-gen-files runs this file with runpy (run name '<run_path>'); an import runs nothing.
elif __name__ in ("__main__", "<run_path>"):
    main()
