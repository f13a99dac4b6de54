import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from course_utils import paths


def test_repo_root_is_found_from_any_subfolder(monkeypatch):
    root = paths.repo_root()
    for sub in ("notebooks", "tests", "datasets"):
        monkeypatch.chdir(root / sub)
        assert paths.repo_root() == root


def test_repo_root_falls_back_to_the_installed_package(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a folder outside the repository, as in a stray Jupyter start
    assert (paths.repo_root() / "course_utils").is_dir()


def test_cache_dir_honours_the_environment_variable(tmp_cache):
    assert paths.cache_dir() == tmp_cache
    assert tmp_cache.is_dir()


def test_default_cache_is_gitignored_folder_in_repo(monkeypatch):
    monkeypatch.delenv(paths.CACHE_ENV_VAR, raising=False)
    assert paths.cache_dir() == paths.repo_root() / ".cache"
    assert ".cache/" in (paths.repo_root() / ".gitignore").read_text()


@pytest.mark.parametrize("bad", ["../escape", "/etc/passwd"])
def test_artifact_path_rejects_paths_outside_the_cache(tmp_cache, bad):
    with pytest.raises(ValueError, match="relative names"):
        paths.artifact_path(bad)


def test_atomic_path_leaves_nothing_behind_when_the_writer_fails(tmp_path):
    target = tmp_path / "model.bin"
    with pytest.raises(RuntimeError):
        with paths.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_atomic_path_replaces_an_existing_folder(tmp_path):
    target = tmp_path / "index"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with paths.atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]


def test_atomic_path_refuses_when_nothing_was_written(tmp_path):
    with pytest.raises(FileNotFoundError, match="Nothing was written"):
        with paths.atomic_path(tmp_path / "empty"):
            pass


def test_ensure_artifact_builds_once_and_then_reuses(tmp_cache):
    calls = []

    def build(folder):
        calls.append(folder)
        folder.mkdir()
        (folder / "weights.txt").write_text("w")

    target = paths.artifact_path("things", "thing")
    assert paths.ensure_artifact(target, build, made_by="notebook 99") == target
    assert paths.ensure_artifact(target, build, made_by="notebook 99") == target
    assert len(calls) == 1 and (target / "weights.txt").exists()


def test_write_text_atomic_writes_the_whole_text(tmp_path):
    path = paths.write_text_atomic(tmp_path / "a" / "b.json", '{"x": 1}')
    assert path.read_text() == '{"x": 1}'


def test_prepare_runs_every_setup_step_and_times_it(monkeypatch):
    from course_utils import answering, doc_retrieval, embedder_finetuning, pretrained, prepare, rag, recipes

    calls = []
    monkeypatch.setattr(pretrained, "shipped_model_path", lambda model: calls.append("embedder"))
    monkeypatch.setattr(pretrained, "chat_model_folder", lambda: calls.append("chat"))
    monkeypatch.setattr(pretrained, "base_model_folder", lambda: calls.append("base"))
    monkeypatch.setattr(rag, "ensure_handbook_index", lambda: calls.append("handbook"))
    monkeypatch.setattr(rag, "ensure_domain_index", lambda: calls.append("domain"))
    monkeypatch.setattr(doc_retrieval, "prepare_chunk_embeddings", lambda: calls.append("chunks"))
    monkeypatch.setattr(recipes, "ensure_ift", lambda: calls.append("ift"))
    monkeypatch.setattr(recipes, "ensure_ift_general_mix", lambda: calls.append("ift general mix"))
    monkeypatch.setattr(answering, "ensure_answer_adapter", lambda: calls.append("adapter"))
    monkeypatch.setattr(embedder_finetuning, "ensure_drift_sweep", lambda: calls.append("drift sweep"))
    seconds = prepare.prepare()
    assert calls == ["embedder", "chat", "base", "handbook", "domain", "chunks", "ift", "ift general mix", "adapter", "drift sweep"]
    assert len(seconds) == 10 and all(isinstance(value, float) for value in seconds.values())


# --- atomicity and the lock, with real processes ---


def _python(script: str, *args: str, cache: Path | None = None) -> subprocess.Popen:
    """Start a child Python that imports this checkout's course_utils."""
    env = {**os.environ, "PYTHONPATH": str(paths.repo_root())}
    if cache is not None:
        env[paths.CACHE_ENV_VAR] = str(cache)
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args], cwd=paths.repo_root(), env=env)


def _wait_for(path: Path, process: subprocess.Popen, limit_s: float = 120) -> None:
    """Poll until `path` exists (the child reached a point); fail if the child exits first or never gets there."""
    deadline = time.monotonic() + limit_s
    while not path.exists():
        assert process.poll() is None, f"the child exited (code {process.returncode}) before writing {path.name}"
        assert time.monotonic() < deadline, f"the child never wrote {path.name}"
        time.sleep(0.05)


def test_a_writer_killed_mid_write_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "results.json"
    target.write_text("old results")
    # The child writes half of the new text, flushes it to disk and is killed (SIGKILL: no cleanup runs).
    child = _python(
        """
        import os, signal, sys
        from pathlib import Path
        from course_utils import paths

        def half_then_die(self, text, encoding=None):
            with open(self, "w", encoding=encoding) as handle:
                handle.write(text[: len(text) // 2])
                handle.flush()
                os.fsync(handle.fileno())
            os.kill(os.getpid(), signal.SIGKILL)

        Path.write_text = half_then_die
        paths.write_text_atomic(sys.argv[1], "new results " * 1000)
        """,
        str(target),
    )
    assert child.wait(timeout=120) == -signal.SIGKILL
    assert target.read_text() == "old results"


def test_two_processes_build_an_artifact_once(tmp_cache):
    target = paths.artifact_path("things", "shared")
    waiting, built_by_child = tmp_cache.parent / "child-waiting", tmp_cache.parent / "child-built"
    # The child finds no artifact and waits for the lock, which this process holds while it builds the artifact
    # itself; when the lock is released the child must see the finished artifact and not build it again.
    child_script = """
        import contextlib, sys
        from pathlib import Path
        from course_utils import paths

        waiting, built = Path(sys.argv[2]), Path(sys.argv[3])
        real_lock = paths.cache_lock

        @contextlib.contextmanager
        def announced_lock(name, *args, **kwargs):
            waiting.write_text("waiting for the lock")
            with real_lock(name, *args, **kwargs):
                yield

        def build(folder):
            built.write_text("built")
            folder.mkdir()

        paths.cache_lock = announced_lock
        paths.ensure_artifact(Path(sys.argv[1]), build, made_by="the test's child")
        """
    with paths.cache_lock(target.name):
        child = _python(child_script, str(target), str(waiting), str(built_by_child), cache=tmp_cache)
        _wait_for(waiting, child)
        with paths.atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / "weights.txt").write_text("built by the parent")
    assert child.wait(timeout=120) == 0
    assert not built_by_child.exists()
    assert (target / "weights.txt").read_text() == "built by the parent"


def test_a_build_that_fails_leaves_no_artifact_and_the_next_call_builds_it(tmp_cache):
    target = paths.artifact_path("things", "flaky")

    def failing_build(folder):
        folder.mkdir()
        (folder / "half.bin").write_text("half")
        raise RuntimeError("killed mid-build")

    with pytest.raises(RuntimeError):
        paths.ensure_artifact(target, failing_build, made_by="notebook 99")
    assert not target.exists()
    paths.ensure_artifact(target, lambda folder: folder.mkdir(), made_by="notebook 99")
    assert target.is_dir() and list(target.iterdir()) == []


def test_the_cache_marks_its_own_folder_but_never_claims_a_folder_of_yours(tmp_path, monkeypatch):
    yours = tmp_path / "yours"
    yours.mkdir()
    (yours / "thesis.tex").write_text("keep me")
    monkeypatch.setenv(paths.CACHE_ENV_VAR, str(yours))
    assert paths.cache_dir() == yours and not (yours / paths.CACHE_MARKER).exists()
    fresh = tmp_path / "fresh"
    monkeypatch.setenv(paths.CACHE_ENV_VAR, str(fresh))
    assert paths.cache_dir() == fresh and (fresh / paths.CACHE_MARKER).exists()
