"""The prompt-injection attacks (datasets/injection_attacks.jsonl): data, loader and build script."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from course_utils import data, rag
from course_utils.paths import datasets_dir, repo_root

BUILD_DIR = repo_root() / "datasets" / "build"


def test_every_attack_carries_the_marker_the_obedience_score_looks_for():
    attacks = data.load_injection_attacks()
    assert all(rag.INJECTION_MARKER in attack["text"] for attack in attacks)
    assert all(rag.followed_injection(attack["text"]) for attack in attacks)


def test_attack_ids_and_texts_are_unique():
    attacks = data.load_injection_attacks()
    assert len({a["attack_id"] for a in attacks}) == len(attacks)
    assert len({a["text"] for a in attacks}) == len(attacks)


def test_a_small_dev_split_and_a_held_out_test_split_of_at_least_fifteen():
    # issue 26 asks for at least 15 phrasings the filter was not written from
    dev, test = data.load_injection_attacks("dev"), data.load_injection_attacks("test")
    assert 2 <= len(dev) <= 5 and len(test) >= 15
    assert len(dev) + len(test) == len(data.load_injection_attacks())
    assert all(a["attack_id"].startswith("inj-dev-") for a in dev) and all(a["attack_id"].startswith("inj-test-") for a in test)


def test_the_dev_split_holds_notebook_04s_original_planted_attack():
    assert rag.INJECTION in [a["text"] for a in data.load_injection_attacks("dev")]


def test_the_test_split_covers_other_languages_and_a_table_cell():
    test = data.load_injection_attacks("test")
    assert {"fr", "de", "es"} <= {a["language"] for a in test}
    assert any(a["text"].startswith("|") and "|---|" in a["text"] for a in test)


def test_load_injection_attacks_rejects_an_unknown_split():
    with pytest.raises(ValueError, match="split must be 'all' or one of"):
        data.load_injection_attacks("validation")


def test_rebuilding_reproduces_the_committed_attacks_byte_for_byte(tmp_path):
    copy_datasets = tmp_path / "datasets"
    shutil.copytree(BUILD_DIR, copy_datasets / "build", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, str(copy_datasets / "build" / "build_injection_attacks.py")], check=True, capture_output=True)
    name = "injection_attacks.jsonl"
    assert (copy_datasets / name).read_bytes() == (datasets_dir() / name).read_bytes()
