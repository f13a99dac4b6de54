"""The README quotes the Makefile's commands word for word, so a learner running them by hand runs what `make` runs."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from course_utils.paths import repo_root


def make_dry_run(target: str) -> list[str]:
    """The commands `make -n TARGET` would run, the virtualenv counted as installed."""
    env = {name: value for name, value in os.environ.items() if name not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    command = ["make", "-n", "--no-print-directory", "-C", str(repo_root()), "-o", ".venv/.course-installed", "VENV=.venv", target]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs `make` to expand the Makefile's command")
def test_readme_quotes_the_test_command_make_test_runs():
    test_command = make_dry_run("test")[-1]  # after `make setup`'s preparation step
    assert "pytest" in test_command and "tests/integration" in test_command
    assert test_command in (repo_root() / "README.md").read_text()
