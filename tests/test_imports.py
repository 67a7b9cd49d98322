"""The package's modules import each other without a cycle (the root ``microtensor/__init__``
aside, which only gathers public names): no module relies on another having been imported first.

Only module-level imports count (an import inside a function runs at call time, and imports under
``if TYPE_CHECKING:`` never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "microtensor"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_level_imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports when it is loaded."""
    tree = ast.parse(path.read_text())
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in tree.body:  # top-level statements only
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for item in ast.walk(node) if isinstance(node, ast.If | ast.Try) else [node]:
            if isinstance(item, ast.Import):
                found |= {alias.name for alias in item.names}
            elif isinstance(item, ast.ImportFrom):
                base = item.module or ""
                if item.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - item.level + 1]
                                    + ([base] if base else []))
                found.add(base)
                found |= {f"{base}.{alias.name}" for alias in item.names}
    # importing a.b.c loads the packages a.b and a too; but a module's own packages have begun
    # loading before it (the root package first of all), so they are no new dependency
    closure = set()
    for imported in found:
        parts = imported.split(".")
        closure |= {".".join(parts[:k]) for k in range(2, len(parts) + 1)}
    parts = name.split(".")
    own_packages = {".".join(parts[:k]) for k in range(1, len(parts) + 1)}
    return (closure & modules) - own_packages


def import_graph() -> dict[str, set[str]]:
    paths = [p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts]
    modules = {module_name(p) for p in paths}
    return {module_name(p): module_level_imports(p, modules) for p in paths
            if module_name(p) != "microtensor"}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a list of modules, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        iterators = [iter(sorted(graph.get(start, ())))]
        state[start] = 1
        while iterators:
            following = next(iterators[-1], None)
            if following is None:
                state[path.pop()] = 2
                iterators.pop()
            elif state.get(following) == 1:
                return path[path.index(following):] + [following]
            elif not state.get(following) and following in graph:
                state[following] = 1
                path.append(following)
                iterators.append(iter(sorted(graph[following])))
    return None


def test_the_graph_is_read_correctly() -> None:
    graph = import_graph()
    assert "microtensor.tensor" in graph["microtensor.autograd.function"]
    assert "microtensor.autograd.function" in graph["microtensor.ops.elementwise"]
    assert "microtensor.ops" in graph["microtensor.tensor"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_tensor_reaches_the_ops_through_the_package() -> None:
    imports = import_graph()["microtensor.tensor"]
    assert not {m for m in imports if m.startswith(("microtensor.ops.", "microtensor.autograd"))}
