"""The helper package keeps its own conventions: documented public functions, light imports, no cycles, lessons' code only."""

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


def course_imports(source: str, importer: str = "") -> set[str]:
    """The course_utils modules a file imports, at any depth (a function-level import is a dependency too)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:  # inside course_utils: from .x import y / from . import x
            found.update([node.module.split(".")[0]] if node.module else [alias.name for alias in node.names])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "course_utils":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("course_utils."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[1] for alias in node.names if alias.name.startswith("course_utils."))
    return found - {importer}


def import_graph() -> dict[str, set[str]]:
    """{module: the course_utils modules it imports}, for every module of the package."""
    names = {path.stem for path in MODULES if path.stem != "__init__"}
    return {path.stem: course_imports(path.read_text(), path.stem) & names for path in MODULES if path.stem != "__init__"}


def test_the_package_has_no_import_cycle():
    graph, state, cycles = import_graph(), {}, []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for dependency in sorted(graph[module]):
            if state.get(dependency) == "open":
                cycles.append(path[path.index(dependency):] + [dependency])
            elif dependency not in state:
                visit(dependency, path + [dependency])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, f"import cycles in course_utils: {cycles}"


def test_every_module_serves_the_lessons():
    # course_utils is the learners' package: each module is reachable from a lesson or solutions notebook (or is the
    # one-time preparation `make setup` runs); maintainer tooling lives in tools/ and scripts/.
    root = Path(course_utils.__file__).parent.parent
    lessons = [*root.glob("notebooks/*.py"), *root.glob("solutions/*.py")]
    assert lessons, "the lessons' percent scripts are missing"
    graph = import_graph()
    reached, frontier = set(), {"prepare", "runtime"}.union(*(course_imports(path.read_text()) for path in lessons))
    while frontier:
        module = frontier.pop()
        if module in graph and module not in reached:
            reached.add(module)
            frontier |= graph[module]
    assert not set(graph) - reached, f"modules no lesson needs (move them to tools/ or scripts/): {sorted(set(graph) - reached)}"
