"""Pages copied from sections of the README (run by mkdocs-gen-files at every build).

The measured numbers live in one place, the README; the site shows the same text:

- ``benchmarks.md``: the README's "## Benchmarks" section.

A section the README no longer has fails the build, so a renamed heading cannot leave the
site with a stale or empty page.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# page -> (README heading, the page's title, a line on where the page comes from)
SECTIONS = {
    "benchmarks.md": (
        "## Benchmarks",
        "# Benchmarks",
        "The README's section of the same name, copied at every build of this site.",
    ),
}


def section(markdown: str, heading: str) -> str:
    """The body of the level-2 section `heading` (up to the next level-2 heading)."""
    lines = markdown.splitlines()
    if heading not in lines:
        raise SystemExit(
            f"docs: README.md has no section {heading!r}; update docs/_gen/readme_sections.py."
        )
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    # Sub-headings move up one level: the section's heading becomes the page's title.
    body = [line[1:] if line.startswith("### ") else line for line in lines[start:end]]
    return "\n".join(body).strip() + "\n"


def main() -> None:
    import mkdocs_gen_files

    readme = (ROOT / "README.md").read_text()
    for page, (heading, title, origin) in SECTIONS.items():
        with mkdocs_gen_files.open(page, "w") as file:
            file.write(f"{title}\n\n{origin}\n\n{section(readme, heading)}")
        mkdocs_gen_files.set_edit_path(page, "../README.md")


# mkdocs-gen-files runs this file with runpy (run name '<run_path>'); an import builds nothing.
if __name__ in ("__main__", "<run_path>"):
    main()
