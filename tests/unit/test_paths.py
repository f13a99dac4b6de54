import os

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
    from course_utils import pretrained, prepare, rag

    calls = []
    monkeypatch.setattr(pretrained, "shipped_model_path", lambda model: calls.append("embedder"))
    monkeypatch.setattr(pretrained, "chat_model_folder", lambda: calls.append("chat"))
    monkeypatch.setattr(pretrained, "base_model_folder", lambda: calls.append("base"))
    monkeypatch.setattr(rag, "ensure_handbook_index", lambda: calls.append("handbook"))
    monkeypatch.setattr(rag, "ensure_domain_index", lambda: calls.append("domain"))
    seconds = prepare.prepare()
    assert calls == ["embedder", "chat", "base", "handbook", "domain"]
    assert len(seconds) == 5 and all(value >= 0 for value in seconds.values())
