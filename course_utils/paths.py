"""Where things live: the repository root, the committed datasets and the artifact cache.

Every notebook (00-07) and every test finds files through this module, so a notebook works the
same when started from `notebooks/`, `solutions/`, `tests/`, the repository root or a Colab clone.

Artifacts (checkpoints, converted models, indexes, recorded results) go to a cache folder:
`<repo>/.cache` by default (gitignored), or the folder named by the `COURSE_CACHE_DIR` environment
variable. Writers use `atomic_path` (temp file + rename) under `cache_lock`, so two notebooks or two
pytest workers never see, or leave behind, a half-written artifact.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock

CACHE_ENV_VAR = "COURSE_CACHE_DIR"
CACHE_MARKER = ".course-cache"  # the Makefile's CACHE_MARKER: its cache targets delete only folders holding it
_MARKER_FILES = ("pyproject.toml", "requirements.txt")
_MARKER_PACKAGE = "course_utils"


def _looks_like_repo_root(folder: Path) -> bool:
    return all((folder / name).exists() for name in _MARKER_FILES) and (folder / _MARKER_PACKAGE).is_dir()


def repo_root(start: Path | str | None = None) -> Path:
    """Return the course repository's root folder, searching upwards from `start` (default: cwd)."""
    candidates = [Path(start or Path.cwd()).resolve()]
    candidates.append(Path(__file__).resolve().parent.parent)  # an editable install points here
    for candidate in candidates:
        for folder in (candidate, *candidate.parents):
            if _looks_like_repo_root(folder):
                return folder
    raise FileNotFoundError(
        "Could not find the course repository (a folder holding pyproject.toml, requirements.txt and "
        "course_utils/). Start Jupyter from inside your clone, e.g. `cd pretraining-to-prompting && make lab`."
    )


def datasets_dir() -> Path:
    """Return the folder of committed datasets (`<repo>/datasets`)."""
    return repo_root() / "datasets"


def cache_dir() -> Path:
    """Return the artifact cache folder, creating it; `COURSE_CACHE_DIR` overrides `<repo>/.cache`."""
    override = os.environ.get(CACHE_ENV_VAR)
    folder = Path(override).expanduser() if override else repo_root() / ".cache"
    _claim_cache_folder(folder, course_owned=not override)
    return folder


def _claim_cache_folder(folder: Path, course_owned: bool) -> None:
    """Create `folder` and mark it as the course's, unless it already held files the course did not put there.

    `make clean-cache` and `make reset-cache` delete only a folder holding the marker, so pointing
    COURSE_CACHE_DIR at a folder of your own by mistake never deletes it.
    """
    marker = folder / CACHE_MARKER
    if marker.exists():
        return
    if folder.is_dir() and any(folder.iterdir()) and not course_owned:
        return  # someone else's folder: used, never claimed
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text("This folder is the artifact cache of the course 'Pre-training to Prompting'; `make clean-cache` deletes it.\n")


def artifact_path(*parts: str) -> Path:
    """Return a path inside the cache, e.g. `artifact_path("checkpoints", "01_pretrained")`."""
    if not parts:
        raise ValueError("artifact_path needs at least one name, e.g. artifact_path('checkpoints', 'gpt').")
    for part in parts:
        if Path(part).is_absolute() or ".." in Path(part).parts:
            raise ValueError(f"artifact_path parts must be relative names inside the cache, got {part!r}.")
    return cache_dir().joinpath(*parts)


@contextlib.contextmanager
def cache_lock(name: str, timeout_s: float = 1800) -> Iterator[None]:
    """Hold an inter-process lock named `name` (one lock file in `<cache>/locks`)."""
    lock_folder = cache_dir() / "locks"
    lock_folder.mkdir(exist_ok=True)
    safe_name = name.replace(os.sep, "_").replace("/", "_")
    with FileLock(str(lock_folder / f"{safe_name}.lock"), timeout=timeout_s):
        yield


@contextlib.contextmanager
def atomic_path(final_path: Path | str) -> Iterator[Path]:
    """Yield a temporary sibling path to write (a file or a folder); rename it to `final_path` on success.

    On an exception the temporary path is deleted and `final_path` is left untouched.
    """
    final_path = Path(final_path)
    final_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{final_path.name}.", dir=final_path.parent))
    tmp_path = tmp_dir / final_path.name
    try:
        yield tmp_path
        if not tmp_path.exists():
            raise FileNotFoundError(f"Nothing was written to {tmp_path}; {final_path} was not created.")
        if final_path.is_dir():
            shutil.rmtree(final_path)
        os.replace(tmp_path, final_path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write `text` to `path` atomically (readers see the old file or the new one, never half)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def ensure_artifact(path: Path, build: Callable[[Path], None], *, made_by: str) -> Path:
    """Return `path`, building it first with `build(tmp_path)` if missing (under a lock, atomically).

    `made_by` names the notebook that teaches how the artifact is built, for the log line.
    """
    path = Path(path)
    if path.exists():
        return path
    with cache_lock(path.name):
        if path.exists():  # another process built it while we waited for the lock
            return path
        from .runtime import log

        log(f"{path.name} not found in the cache: building it as {made_by} does...")
        with atomic_path(path) as tmp:
            build(tmp)
    return path
