"""Every relative link and Colab badge in the course's Markdown and notebooks points at a file that exists.

Checked offline: a Colab badge (or a github.com link into this repository) must name a file of this
repository; a relative link must resolve to a file or folder; a `#heading` anchor into a Markdown file must
match one of its headings (GitHub's slugs). Other web links are not fetched (the suite runs offline).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_utils.paths import repo_root

REPO_SLUG = "pretraining-to-prompting/course"  # the badges' GitHub path (Colab links)
SKIPPED_FOLDERS = {"student", "reports", "build", "dist", "node_modules"}
_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""")
_REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
_FENCED = re.compile(r"```.*?```", re.DOTALL)
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
_REPO_URL = re.compile(
    r"https?://(?:colab\.research\.google\.com/github|github\.com)/(?P<slug>[^/]+/[^/]+)/(?:blob|tree)/[^/]+/(?P<path>[^?#\s]*)"
)


def documents(root: Path) -> list[Path]:
    """The Markdown files and notebooks of the course (not the virtual env, cache, or generated folders)."""
    found = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") or part.endswith(".egg-info") for part in parts) or parts[0] in SKIPPED_FOLDERS:
            continue
        if path.suffix == ".md" or (path.suffix == ".ipynb" and parts[0] in ("notebooks", "solutions")):
            found.append(path)
    return found


def markdown_of(path: Path) -> str:
    """A Markdown file's text, or a notebook's markdown cells joined."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


def link_targets(markdown: str) -> list[str]:
    """Every link target in Markdown (inline, nested badge, reference-style, HTML href/src), code spans ignored."""
    text = _CODE.sub("", markdown)
    return _LINK.findall(text) + _HTML.findall(text) + _REFERENCE.findall(text)


def heading_slugs(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown text: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _FENCED.sub("", markdown), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def broken_links(path: Path, root: Path) -> list[str]:
    """The link targets in `path` that do not point at an existing file of the repository at `root`."""
    broken = []
    for target in link_targets(markdown_of(path)):
        repo_link = _REPO_URL.match(target)
        if repo_link:
            if repo_link["slug"] != REPO_SLUG:
                broken.append(f"{target} (points at {repo_link['slug']}, not {REPO_SLUG})")
            elif not (root / repo_link["path"]).exists():
                broken.append(f"{target} ({repo_link['path']} does not exist)")
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # another website, mailto:, data: ... not fetched offline
            continue
        file_part, _, anchor = target.partition("#")
        file_part = file_part.split("?")[0]
        resolved = (path.parent / file_part).resolve() if file_part else path
        if root.resolve() not in (resolved, *resolved.parents) or not resolved.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in heading_slugs(resolved.read_text(encoding="utf-8")):
            broken.append(f"{target} (no heading #{anchor} in {resolved.name})")
    return broken


def test_checker_finds_broken_links_and_badges_and_accepts_good_ones(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00_a.ipynb").write_text("{}")
    (tmp_path / "README.md").write_text(
        "# Quick start\n"
        "[ok](notebooks/00_a.ipynb) [anchor](#quick-start) [web](https://example.org/x) `[code](not/checked.md)`\n"
        f"[![Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/{REPO_SLUG}/blob/main/notebooks/00_a.ipynb)\n"
        f"[![Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/{REPO_SLUG}/blob/main/notebooks/99_gone.ipynb)\n"
        "[moved](notebooks/01_missing.ipynb) [bad anchor](README.md#no-such-heading) [escape](../outside.md)\n"
        "[fork](https://colab.research.google.com/github/someone/else/blob/main/notebooks/00_a.ipynb)\n"
    )
    broken = broken_links(tmp_path / "README.md", tmp_path)
    assert len(broken) == 5, broken
    assert any("99_gone" in b for b in broken) and any("01_missing" in b for b in broken) and any("no-such-heading" in b for b in broken)
    assert any("../outside.md" in b for b in broken) and any("someone/else" in b for b in broken)


def test_the_course_documents_are_found():
    names = {p.relative_to(repo_root()).as_posix() for p in documents(repo_root())}
    assert {"README.md", "datasets/README.md", "notebooks/00_setup_and_map.ipynb", "INSTRUCTOR.md"} <= names


@pytest.mark.parametrize("path", documents(repo_root()), ids=lambda p: p.relative_to(repo_root()).as_posix())
def test_every_link_and_badge_points_at_an_existing_file(path):
    assert broken_links(path, repo_root()) == []
