"""The helper package keeps its own conventions: documented public functions, light imports."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils

MODULES = sorted(Path(course_utils.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.stem)
def test_every_public_function_and_class_has_a_docstring(module):
    tree = ast.parse(module.read_text())
    assert ast.get_docstring(tree), f"{module.name} needs a module docstring saying what it holds and which notebooks use it"
    undocumented = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_") and not ast.get_docstring(node)
    ]
    assert not undocumented, f"{module.name}: add a one-line docstring to {undocumented}"


def test_importing_the_package_does_not_import_torch():
    # Notebooks import helpers freely; heavy libraries load only when a function needs them.
    code = "import sys, course_utils.paths, course_utils.data, course_utils.results; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
