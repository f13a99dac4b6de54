"""A learner's mistakes get an error that names the problem and what to do, not a traceback from deep inside a library.

Covered: an opted-in model that cannot be found offline (`COURSE_CHAT_MODEL`, `COURSE_EMBEDDER`), an unknown
instruction task, a tokenizer or BM25 index asked to learn from nothing, a missing file that is not one of the
course's datasets, and the Makefile's cache targets pointed at a folder the course did not create.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from course_utils import data, models, paths, pretrained, retrieval

SHIPPED_CHAT, SHIPPED_EMBEDDER = "SmolLM2-135M-Instruct", "all-MiniLM-L6-v2"


# --- Opted-in models, offline -------------------------------------------------------------------------


@pytest.fixture
def offline(monkeypatch):
    """The hub's offline mode, as in the tests and the course's default runs."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_unknown_chat_model_id_offline_names_the_variable_offline_mode_and_default(offline, monkeypatch):
    monkeypatch.setenv("COURSE_CHAT_MODEL", "HuggingFaceTB/SmolLM2-36M-Instruct")  # a typo of the 360M model
    with pytest.raises(pretrained.ModelSourceError) as caught:
        pretrained.load_chat_model(device="cpu")
    message = str(caught.value)
    assert "COURSE_CHAT_MODEL='HuggingFaceTB/SmolLM2-36M-Instruct'" in message
    assert "HF_HUB_OFFLINE=1" in message and f"unset COURSE_CHAT_MODEL to use the shipped default, {SHIPPED_CHAT}" in message


def test_unknown_embedder_id_offline_names_the_variable_and_the_default(offline, monkeypatch):
    monkeypatch.setenv("COURSE_EMBEDDER", "sentence-transformers/all-mpnet-base-v3")
    with pytest.raises(pretrained.ModelSourceError, match=f"COURSE_EMBEDDER=.*offline mode is on.*{SHIPPED_EMBEDDER}"):
        pretrained.load_embedder(device="cpu")


def test_misspelt_model_folder_is_reported_as_a_missing_folder(offline, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CHAT_MODEL", str(tmp_path / "my-modle"))
    with pytest.raises(pretrained.ModelSourceError, match=f"there is no folder {tmp_path / 'my-modle'}"):
        pretrained.load_chat_model(device="cpu")


def test_model_folder_without_weights_or_tokenizer_lists_what_it_lacks(offline, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(pretrained.ModelSourceError) as caught:
        pretrained.load_chat_model(str(tmp_path), device="cpu")
    message = str(caught.value)
    assert "name_or_path=" in message and "lacks safetensors weights, a tokenizer" in message
    assert "sentencepiece" not in message  # what transformers alone would have suggested


def test_model_errors_are_oserrors_so_existing_handlers_still_catch_them():
    assert issubclass(pretrained.ModelSourceError, OSError)


# --- Data and training inputs -----------------------------------------------------------------------


def test_unknown_instruction_task_lists_the_tasks():
    with pytest.raises(ValueError, match=r"Unknown instruction task 'summarise'.*'digit'"):
        data.load_instructions(task="summarise")


def test_known_instruction_task_keeps_only_that_task():
    records = data.load_instructions(split="train", task="quotes")
    assert records and {record["task"] for record in records} == {"quotes"}


@pytest.mark.parametrize("texts", [[], ["", "   "], iter([])])
def test_tokenizer_refuses_to_learn_from_no_text(texts):
    with pytest.raises(ValueError, match="needs texts to learn from"):
        models.train_bpe_tokenizer(texts, vocab_size=300)


def test_tokenizer_refuses_one_string_for_a_list_of_texts():
    with pytest.raises(TypeError, match=r"not one string: pass \[text\]"):
        models.train_bpe_tokenizer("the cat sat on the mat", vocab_size=300)


@pytest.mark.parametrize("texts", [["", ""], ["the", "of a"]])  # nothing left once stop words are dropped
def test_bm25_index_over_texts_without_words_is_refused(texts):
    with pytest.raises(ValueError, match="no word to index: every text is empty or only stop words"):
        retrieval.build_bm25_index(["a", "b"], texts)


def test_bm25_index_accepts_an_empty_text_beside_real_ones():
    index = retrieval.build_bm25_index(["empty", "db"], ["", "sqlite database"])
    assert [doc_id for doc_id, _ in retrieval.bm25_search(index, "database", allowed_ids=retrieval.UNFILTERED)] == ["db"]


def test_missing_file_of_ones_own_is_not_sent_to_git(tmp_path):
    with pytest.raises(data.DatasetError) as caught:
        data.read_jsonl(tmp_path / "my_notes.jsonl")
    assert "is missing" in str(caught.value) and "Check the path" in str(caught.value)
    assert "git checkout" not in str(caught.value)


# --- The Makefile's cache targets -------------------------------------------------------------------

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs `make` (the Makefile's targets)")


def make(target: str, cache: os.PathLike) -> subprocess.CompletedProcess:
    """Run a Makefile target with COURSE_CACHE_DIR=`cache`; the virtualenv counts as installed, whatever its age."""
    stamp = paths.repo_root() / ".venv" / ".course-installed"
    env = {name: value for name, value in os.environ.items() if name not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env["COURSE_CACHE_DIR"] = str(cache)
    command = ["make", "--no-print-directory", "-C", str(paths.repo_root()), "-o", str(stamp), f"VENV={stamp.parent}", target]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


@needs_make
@pytest.mark.parametrize("target", ["clean-cache", "reset-cache"])
def test_cache_targets_refuse_a_folder_the_course_did_not_create(tmp_path, target):
    own = tmp_path / "my-documents"
    own.mkdir()
    (own / "thesis.txt").write_text("years of work")
    result = make(target, own)
    assert result.returncode != 0 and "did not create it" in result.stderr
    assert (own / "thesis.txt").read_text() == "years of work"


@needs_make
def test_clean_cache_deletes_the_folder_named_by_course_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "course-cache"))
    paths.artifact_path("results").mkdir()  # the course creates its cache, marker included
    assert (tmp_path / "course-cache" / paths.CACHE_MARKER).exists()
    result = make("clean-cache", tmp_path / "course-cache")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "course-cache").exists()


def test_course_never_claims_a_folder_that_already_held_files(tmp_path, monkeypatch):
    (tmp_path / "thesis.txt").write_text("years of work")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    assert paths.cache_dir() == tmp_path
    assert not (tmp_path / paths.CACHE_MARKER).exists()
