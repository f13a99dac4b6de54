"""The Colab path, simulated: the first code cell and `make colab-setup` leave Colab's kernel alone, and notebook 00 runs.

On Colab the notebook's kernel is already running, in a Python that has Colab's own torch, kernel and server
packages. The test builds that situation in a fresh virtualenv: torch, plus an older ipykernel, IPython, tornado,
pyzmq, jupyter_client, jupyter_server and traitlets (the versions Colab has long shipped), and a stub `google.colab`
module imported at kernel start-up. The course is "cloned" from a git snapshot of this working tree on disk instead
of GitHub. A kernel of that virtualenv then executes notebook 00 with its Colab cell pointed at the snapshot: the
cell clones, runs `make colab-setup`, and the rest of the notebook must run in that same kernel without a restart.
Afterwards no kernel or server package may have changed version.

It needs a package index that serves the older ipykernel (PyPI), and skips with that reason where none answers.
It took 409 s and 478 s on the course's 2-core machine while other jobs kept it busy, most of it pip; the
virtualenv (~3 GB) is deleted afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.paths import repo_root
from course_utils.results import load_results

NOTEBOOK = "notebooks/00_setup_and_map.ipynb"
CLONE_URL = "https://github.com/pretraining-to-prompting/course.git"
COLAB_CLONE = "/content/course"
# What Colab's Python has long had installed; colab-setup must leave every one of them as it found it.
COLAB_KERNEL_PINS = {
    "ipykernel": "6.17.1",
    "ipython": "7.34.0",
    "tornado": "6.4.2",
    "pyzmq": "26.2.0",  # Colab has 24.0.1, which has no wheel for Python 3.12
    "jupyter_client": "6.1.12",
    "jupyter_server": "1.16.0",
    "traitlets": "5.7.1",
}
WATCHED = (*COLAB_KERNEL_PINS, "torch")
# requirements.txt entries Colab does not get, each for a reason given in requirements-colab.txt.
NOT_FOR_COLAB = {"torch", "jupyterlab", "jupytext", "ipykernel", "ipywidgets", "nbclient", "nbformat", "nbval", "pytest", "rdata", "psutil"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==|>=)\s*(\S+)")


def requirement_pins(path: Path) -> dict[str, str]:
    """{name: "==1.2" or ">=1.2"} of a requirements file, comments and blank lines skipped."""
    pins = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.split("#")[0].strip())
        if match:
            pins[match.group(1).lower()] = match.group(2) + match.group(3)
    return pins


def test_colab_requirements_pin_what_requirements_txt_pins():
    full, colab = requirement_pins(repo_root() / "requirements.txt"), requirement_pins(repo_root() / "requirements-colab.txt")
    assert set(colab) == set(full) - NOT_FOR_COLAB | {"psutil"}
    assert {name: pin for name, pin in colab.items() if name != "psutil"} == {name: full[name] for name in colab if name != "psutil"}


def test_colab_requirements_leave_out_every_kernel_and_server_package():
    colab = requirement_pins(repo_root() / "requirements-colab.txt")
    assert not set(colab) & {"torch", "ipykernel", "ipython", "jupyterlab", "notebook", "tornado", "pyzmq", "jupyter-client", "traitlets"}
    assert colab["psutil"].startswith(">="), "psutil is ipykernel's: Colab's version must be allowed to stay"


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def snapshot_of_working_tree(target: Path) -> Path:
    """A git repository holding this working tree's files (committed or not, ignored ones left out): what Colab clones."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=repo_root()).stdout
    for name in filter(None, listed.split("\0")):
        source = repo_root() / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    run(["git", "init", "-q"], cwd=target)
    run(["git", "add", "-A"], cwd=target)
    run(["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "snapshot"], cwd=target)
    return target


def installed_versions(python: Path) -> dict[str, str | None]:
    """Versions of the watched packages in the interpreter `python` (None where not installed)."""
    code = (
        "import importlib.metadata as m, json\n"
        "def version(name):\n"
        "    try:\n        return m.version(name)\n"
        "    except m.PackageNotFoundError:\n        return None\n"
        f"print(json.dumps({{name: version(name) for name in {list(WATCHED)!r}}}))"
    )
    return json.loads(run([str(python), "-c", code]).stdout)


def colab_like_python(folder: Path) -> Path:
    """A fresh virtualenv with torch and Colab's older kernel and server packages, and a stub `google.colab`."""
    run([sys.executable, "-m", "venv", str(folder)])
    python = folder / "bin" / "python"
    torch_pin = requirement_pins(repo_root() / "requirements.txt")["torch"]
    torch_flags = os.environ.get("TORCH_PIP_FLAGS", "").split()  # as `make setup`'s, e.g. a CPU-only index
    run([str(python), "-m", "pip", "install", "--quiet", *torch_flags, f"torch{torch_pin}"])
    run([str(python), "-m", "pip", "install", "--quiet", *(f"{name}=={version}" for name, version in COLAB_KERNEL_PINS.items())])
    site_packages = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site_packages / "google" / "colab").mkdir(parents=True)
    (site_packages / "google" / "colab" / "__init__.py").write_text('"""Stub: on Colab this module is imported when the kernel starts."""\n')
    return python


def kernel_that_starts_like_colab(folder: Path, python: Path) -> tuple[Path, Path]:
    """A kernelspec "colab" running `python`, and an IPython profile importing `google.colab` at start-up: (JUPYTER_PATH, IPYTHONDIR)."""
    kernel = folder / "jupyter" / "kernels" / "colab"
    kernel.mkdir(parents=True)
    spec = {"argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Colab (simulated)", "language": "python"}
    (kernel / "kernel.json").write_text(json.dumps(spec))
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab\n")
    return folder / "jupyter", folder / "ipython"


def colab_cell_index(notebook) -> int:
    """Index of the notebook's first code cell: the Colab cell."""
    return next(index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code")


def notebook_pointed_at(origin: Path, clone: Path):
    """Notebook 00 with its Colab cell cloning `origin` into `clone` instead of GitHub into /content/course."""
    import nbformat

    notebook = nbformat.read(repo_root() / NOTEBOOK, as_version=4)
    colab_cell = notebook.cells[colab_cell_index(notebook)]
    assert '"google.colab" in sys.modules' in colab_cell.source and "make -C" in colab_cell.source and "colab-setup" in colab_cell.source
    assert CLONE_URL in colab_cell.source and COLAB_CLONE in colab_cell.source, "the Colab cell changed shape: update this test"
    colab_cell.source = colab_cell.source.replace(CLONE_URL, origin.as_uri()).replace(COLAB_CLONE, str(clone))
    return notebook


def pypi_serves_colabs_ipykernel(folder: Path) -> bool:
    """True if pip can fetch Colab's ipykernel release (a package index answers)."""
    pin = f"ipykernel=={COLAB_KERNEL_PINS['ipykernel']}"
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(folder), pin], capture_output=True, check=False)
    return result.returncode == 0


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A scratch folder for the virtualenv, the snapshot and the clone, deleted afterwards (the virtualenv is ~3 GB).

    The deletion runs in the background: on the course's 2-core machine it took over two minutes.
    """
    folder = tmp_path_factory.mktemp("colab")
    yield folder
    subprocess.Popen(["rm", "-rf", str(folder)], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_colab_cell_installs_the_course_without_touching_the_kernel_and_notebook_00_runs(workspace, monkeypatch):
    from nbclient import NotebookClient

    if not pypi_serves_colabs_ipykernel(workspace / "download"):
        pytest.skip(f"no package index serves ipykernel=={COLAB_KERNEL_PINS['ipykernel']} (Colab's): the simulation needs PyPI")
    python = colab_like_python(workspace / "colab-python")
    before = installed_versions(python)
    assert {name: before[name] for name in COLAB_KERNEL_PINS} == COLAB_KERNEL_PINS

    origin = snapshot_of_working_tree(workspace / "origin")
    clone, content = workspace / "content" / "course", workspace / "content"
    content.mkdir()
    jupyter_path, ipython_dir = kernel_that_starts_like_colab(workspace, python)
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))  # where nbclient finds the "colab" kernel
    env = {name: value for name, value in os.environ.items() if name not in ("COURSE_CACHE_DIR", "VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    # `python` in a `!` command is the kernel's, as on Colab; ipykernel 6's debugger warns about frozen modules otherwise
    env.update(PATH=f"{python.parent}{os.pathsep}{env['PATH']}", IPYTHONDIR=str(ipython_dir), PYDEVD_DISABLE_FILE_VALIDATION="1")
    notebook = notebook_pointed_at(origin, clone)
    NotebookClient(notebook, kernel_name="colab", timeout=1200, resources={"metadata": {"path": str(content)}}).execute(env=env)

    assert (clone / "course_utils").is_dir(), "the Colab cell did not clone the course"
    assert installed_versions(python) == before, "colab-setup changed a kernel, server or torch package"
    setup_output = "".join(str(output.get("text", "")) for output in notebook.cells[colab_cell_index(notebook)].outputs)
    assert f"ipykernel=={COLAB_KERNEL_PINS['ipykernel']}" in setup_output, "make colab-setup did not run in the Colab cell"
    # the notebook ran to its end on the clone: its last key number is recorded in the clone's own cache
    monkeypatch.setenv("COURSE_CACHE_DIR", str(clone / ".cache"))
    assert "handbook_recall_at_5" in load_results("00_setup_and_map")
