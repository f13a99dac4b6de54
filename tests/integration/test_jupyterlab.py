"""The learner's path, tested end to end: JupyterLab serves the course, and notebook 00 runs in a kernel it starts.

nbval (in `make test`) executes notebooks through its own kernel manager. A learner instead runs `make lab`:
a JupyterLab server lists the notebooks and starts a kernel, and the browser sends each cell over the
kernel's websocket. This test does what the browser does, over loopback only: start `jupyter lab
--no-browser` on a free local port with a random token, list `notebooks/` through the REST API, open a
session for notebook 00 (as opening the notebook does), execute its code cells in order over the websocket,
and require no error. About 30 s on 2 cores (notebook 00 itself is ~20 s).

The server (and so its kernels) uses a temporary artifact cache: only the converted models of the real cache are
shared (read only, as a symlink) when they exist, so the test never writes into the learner's cache.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from course_utils.paths import CACHE_ENV_VAR, repo_root
from course_utils.results import load_results

NOTEBOOK = "notebooks/00_setup_and_map.ipynb"
CELL_TIMEOUT_S = 300
START_ATTEMPTS = 5  # a free port can be taken by another process before the server binds it: try another one


@dataclass
class Lab:
    """A running JupyterLab server: where it listens and the token it accepts."""

    url: str
    token: str
    log: Path

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        """Send one REST request with the token; return (status, decoded JSON or None)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={"Authorization": f"token {self.token}"})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        content_type = response.headers.get("Content-Type", "")
        return status, json.loads(payload) if payload and "json" in content_type else payload.decode(errors="replace")


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def temporary_cache(folder: Path) -> Path:
    """An empty artifact cache for the server, sharing only the real cache's converted models (if any) read only."""
    cache = folder / "cache"
    cache.mkdir()
    models = repo_root() / ".cache" / "models"
    if models.is_dir():
        (cache / "models").symlink_to(models, target_is_directory=True)
    return cache


def lab_command(port: int, token: str) -> list[str]:
    """The `jupyter lab` command line: loopback only, one port (so the test knows where it listens), no update checks."""
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [
        str(jupyter) if jupyter.exists() else "jupyter", "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False", f"--ServerApp.root_dir={repo_root()}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",  # no PyPI requests
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root; Jupyter refuses that unless told
        command.append("--allow-root")
    return command


def start_lab(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen, Lab]:
    """Start the server on a free port and wait until it answers; on a port clash (the port was taken meanwhile) try another."""
    for attempt in range(START_ATTEMPTS):
        port, token = free_port(), secrets.token_hex(24)
        log = folder / f"lab-{attempt}.log"
        with log.open("w") as log_file:
            server = subprocess.Popen(lab_command(port, token), cwd=repo_root(), env=env, stdout=log_file, stderr=subprocess.STDOUT)
        lab = Lab(f"http://127.0.0.1:{port}", token, log)
        deadline = time.monotonic() + 90
        while server.poll() is None:
            try:
                if lab.request("GET", "/api/status")[0] == 200:
                    return server, lab
            except OSError:
                pass
            if time.monotonic() > deadline:
                server.terminate()
                server.wait(timeout=10)
                pytest.fail(f"jupyter lab did not answer within 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        if "already in use" not in log.read_text():
            pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
    pytest.fail(f"jupyter lab found no free port in {START_ATTEMPTS} attempts")


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """Start `jupyter lab --no-browser` on loopback in the repository root, with a temporary cache; shut it down afterwards."""
    folder = tmp_path_factory.mktemp("jupyterlab")
    cache = temporary_cache(folder)
    # own runtime, config and cache folders: nothing of the user's set-up leaks in, nothing is left behind
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(folder / "runtime"), JUPYTER_CONFIG_DIR=str(folder / "config"),
               OMP_WAIT_POLICY="PASSIVE", **{CACHE_ENV_VAR: str(cache)})
    previous_cache = os.environ.get(CACHE_ENV_VAR)
    os.environ[CACHE_ENV_VAR] = str(cache)  # this process reads the kernel's recorded results from the same cache
    server, lab = start_lab(folder, env)
    try:
        yield lab
    finally:
        try:
            lab.request("POST", "/api/shutdown")
        except OSError:
            pass
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.terminate()
            server.wait(timeout=10)
        if previous_cache is None:
            os.environ.pop(CACHE_ENV_VAR, None)
        else:
            os.environ[CACHE_ENV_VAR] = previous_cache


def kernels_after_shutdown(lab: Lab, limit_s: float = 60) -> list:
    """Poll the kernel list until it is empty (a DELETE returns before the kernel process is gone) or `limit_s` passes."""
    deadline = time.monotonic() + limit_s
    while True:
        status, kernels = lab.request("GET", "/api/kernels")
        assert status == 200
        if kernels == [] or time.monotonic() > deadline:
            return kernels
        time.sleep(0.5)


def execute_over_websocket(lab: Lab, kernel_id: str, code: str) -> tuple[str, list[dict]]:
    """Send one execute_request over the kernel's websocket, as the browser does; return (reply status, error outputs)."""
    import websocket  # websocket-client, a dependency of jupyter_server

    session = uuid.uuid4().hex
    ws_url = lab.url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels?session_id={session}"
    connection = websocket.create_connection(ws_url, header=[f"Authorization: token {lab.token}"], timeout=CELL_TIMEOUT_S)
    try:
        msg_id = uuid.uuid4().hex
        connection.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "test", "session": session, "msg_type": "execute_request", "version": "5.3",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))
        status, errors, idle = None, [], False
        while status is None or not idle:  # the reply and the kernel going idle may arrive in either order
            message = json.loads(connection.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "execute_reply":
                status = message["content"]["status"]
            elif kind == "error":
                errors.append(message["content"])
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                idle = True
        return status, errors
    finally:
        connection.close()


def test_jupyterlab_serves_the_lab_page_and_lists_every_notebook(lab):
    assert lab.request("GET", "/lab")[0] == 200  # the page `make lab` opens
    status, listing = lab.request("GET", "/api/contents/notebooks")
    assert status == 200 and listing["type"] == "directory"
    # with jupytext installed the paired percent scripts (NN_topic.py) are listed as notebooks too
    listed = {item["name"] for item in listing["content"] if item["type"] == "notebook" and item["name"].endswith(".ipynb")}
    assert listed == {path.name for path in (repo_root() / "notebooks").glob("*.ipynb")}
    assert "00_setup_and_map.ipynb" in listed


def test_notebook_00_runs_cell_by_cell_in_a_kernel_started_by_jupyterlab(lab):
    status, notebook = lab.request("GET", f"/api/contents/{NOTEBOOK}?content=1&type=notebook")
    assert status == 200
    code_cells = ["".join(cell["source"]) for cell in notebook["content"]["cells"] if cell["cell_type"] == "code"]
    assert len(code_cells) >= 5
    status, session = lab.request(
        "POST", "/api/sessions", {"path": NOTEBOOK, "type": "notebook", "name": Path(NOTEBOOK).name, "kernel": {"name": "python3"}}
    )
    assert status == 201, session
    kernel_id = session["kernel"]["id"]
    started = time.time()
    try:
        for index, code in enumerate(code_cells):
            reply, errors = execute_over_websocket(lab, kernel_id, code)
            assert reply == "ok" and not errors, f"cell {index} failed: {errors}"
    finally:
        assert lab.request("DELETE", f"/api/sessions/{session['id']}")[0] == 204
    # the cells really ran in that kernel: notebook 00 re-recorded its first and its last key number during this test
    recorded = load_results("00_setup_and_map")
    assert recorded["n_datasets_loaded"]["recorded_at"] >= started and recorded["handbook_recall_at_5"]["recorded_at"] >= started
    assert kernels_after_shutdown(lab) == []


def test_an_error_in_a_cell_is_caught_over_the_websocket(lab):
    # the check above can fail: a raising cell comes back as an error reply with the exception's name
    status, kernel = lab.request("POST", "/api/kernels", {"name": "python3"})
    assert status == 201
    try:
        reply, errors = execute_over_websocket(lab, kernel["id"], "1 / 0")
        assert reply == "error" and errors[0]["ename"] == "ZeroDivisionError"
    finally:
        assert lab.request("DELETE", f"/api/kernels/{kernel['id']}")[0] == 204
