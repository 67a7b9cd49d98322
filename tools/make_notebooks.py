"""Make a Jupyter notebook of every lesson in ``examples/``, from the script itself.

One source per lesson: the script ``examples/<lesson>.py``. Its notebook is generated, never
edited by hand, and needs no cell markers in the script:

1. a Markdown cell: the script's module docstring (the lesson's text);
2. a code cell that finds ``examples/`` and makes the lesson's output folder
   (``runs/notebooks/<lesson>``, emptied first, so only this run's figures show);
3. a code cell that imports the lesson and calls its ``main([...])``, exactly what
   ``python examples/<lesson>.py`` runs (what it prints appears below the cell);
4. a code cell that shows, inline, every PNG figure the run wrote (graphs drawn with Graphviz
   included) and lists its other files (SVG, HTML pages, ...).

The notebooks run the full lesson. ``--small`` writes them with small settings instead (each
script's ``--fast`` flag, or the entry in ``SMALL_SETTINGS``): that is how CI executes every
notebook in seconds. ``--execute`` runs each notebook with nbclient after writing it and stores
its outputs; a cell that raises makes the command fail.

    python tools/make_notebooks.py                      # notebooks/<lesson>.ipynb, full settings
    python tools/make_notebooks.py --small --execute    # what CI runs
    jupyter lab notebooks/    # then open any lesson (pip install jupyterlab)

``notebooks/`` holds generated files only (its ``.gitignore`` keeps them out of git).
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOTEBOOKS = ROOT / "notebooks"

# Small settings for lessons whose script has no ``--fast`` flag (the key is the script's name).
SMALL_SETTINGS: dict[str, list[str]] = {
    "train_cnn": ["--epochs", "1"],
}

GENERATED_NOTE = (
    "*This notebook is generated from `examples/{name}.py` by `tools/make_notebooks.py`: edit the "
    "script, not the notebook. The same lesson runs as a script: `python examples/{name}.py`.*"
)


@dataclass(frozen=True)
class Lesson:
    """What the notebook generator reads from one script."""

    name: str  # the script's file name without .py, also its module name
    docstring: str
    flags: frozenset[str]  # the command-line options its argparse parser declares
    main_takes_argv: bool  # main(argv) (most lessons) or main() reading sys.argv

    def settings(self, small: bool) -> list[str]:
        """Command-line settings of the notebook's run (full lesson, or small for CI)."""
        if not small:
            return []
        if self.name in SMALL_SETTINGS:
            settings = list(SMALL_SETTINGS[self.name])
        else:
            settings = ["--fast"] if "--fast" in self.flags else []
        if "--no-progress" in self.flags:
            settings.append("--no-progress")
        return settings


def read_lesson(script: Path) -> Lesson | None:
    """Parse a script (without running it); None if it is not a lesson (no ``main``)."""
    tree = ast.parse(script.read_text(encoding="utf-8"), filename=str(script))
    main = next((node for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name == "main"), None)
    if main is None:
        return None
    flags = {node.args[0].value for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr == "add_argument" and node.args
             and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)}
    takes_argv = bool(main.args.args or main.args.posonlyargs)
    return Lesson(script.stem, ast.get_docstring(tree) or script.stem, frozenset(flags),
                  takes_argv)


def lessons(examples: Path = EXAMPLES) -> list[Lesson]:
    """Every lesson script in ``examples/``, by name."""
    found = (read_lesson(script) for script in sorted(examples.glob("*.py"))
             if not script.name.startswith("_"))
    return [lesson for lesson in found if lesson is not None]


def title_and_body(docstring: str) -> tuple[str, str]:
    """The docstring's first line (the lesson's title) and the rest."""
    first, _, rest = docstring.strip().partition("\n")
    return first.strip().rstrip("."), rest.strip()


def setup_source(name: str) -> str:
    return (
        "import shutil\n"
        "import sys\n"
        "from pathlib import Path\n\n"
        "from IPython.display import Image, display\n\n"
        "# the repository root: the first folder upwards that holds this lesson's script\n"
        "ROOT = next(folder for folder in [Path.cwd(), *Path.cwd().parents]\n"
        f"            if (folder / 'examples' / '{name}.py').is_file())\n"
        "sys.path.insert(0, str(ROOT / 'examples'))\n"
        f"OUT = ROOT / 'runs' / 'notebooks' / '{name}'  # this notebook's figures and files\n"
        "shutil.rmtree(OUT, ignore_errors=True)\n"
        "OUT.mkdir(parents=True)"
    )


def run_source(lesson: Lesson, small: bool) -> str:
    settings = [*lesson.settings(small), "--out"]
    shown = ", ".join(repr(setting) for setting in settings)
    if lesson.main_takes_argv:
        call = f"result = {lesson.name}.main([{shown}, str(OUT)])"
    else:  # main() reads sys.argv, as `python examples/<name>.py ...` sets it
        call = (f"sys.argv = ['{lesson.name}.py', {shown}, str(OUT)]\n"
                f"result = {lesson.name}.main()")
    return f"import {lesson.name}\n\n{call}"


SHOW_SOURCE = (
    "for path in sorted(OUT.rglob('*')):\n"
    "    if path.suffix == '.png':\n"
    "        print(path.relative_to(ROOT))\n"
    "        display(Image(filename=str(path)))\n"
    "    elif path.is_file():\n"
    "        print('also wrote', path.relative_to(ROOT))"
)


def make_notebook(lesson: Lesson, small: bool = False):
    """The lesson's notebook (an ``nbformat`` NotebookNode, not yet executed)."""
    import nbformat.v4 as v4

    title, body = title_and_body(lesson.docstring)
    markdown = f"# {title}\n\n{GENERATED_NOTE.format(name=lesson.name)}\n\n{body}"
    run_intro = ("Run the lesson, as `python examples/{name}.py{flags}` does:"
                 .format(name=lesson.name,
                         flags="".join(f" {s}" for s in lesson.settings(small))))
    cells = [v4.new_markdown_cell(markdown),
             v4.new_code_cell(setup_source(lesson.name)),
             v4.new_markdown_cell(run_intro),
             v4.new_code_cell(run_source(lesson, small)),
             v4.new_markdown_cell("The figures the run wrote:"),
             v4.new_code_cell(SHOW_SOURCE)]
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def execute(notebook, timeout: int) -> None:
    """Run every cell in a fresh kernel started in ``notebooks/`` (where the notebooks live, so
    the lesson finds ``examples/`` wherever the file is written); raises on a failing cell."""
    from nbclient import NotebookClient

    NOTEBOOKS.mkdir(exist_ok=True)
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()


def write_notebooks(out: Path, small: bool = False, run: bool = False, timeout: int = 600,
                    only: list[str] | None = None) -> list[Path]:
    """Write (and with ``run``, execute) the notebook of each lesson; returns their paths."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for lesson in lessons():
        if only and lesson.name not in only:
            continue
        notebook = make_notebook(lesson, small)
        if run:
            started = time.perf_counter()
            execute(notebook, timeout)
            print(f"executed {lesson.name} in {time.perf_counter() - started:.1f} s", flush=True)
        path = out / f"{lesson.name}.ipynb"
        nbformat.write(notebook, path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=NOTEBOOKS, help="default: notebooks/")
    parser.add_argument("--small", action="store_true",
                        help="small settings (each script's --fast), as CI runs them")
    parser.add_argument("--execute", action="store_true", help="run each notebook (nbclient)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("lessons", nargs="*", help="only these lessons (default: all)")
    args = parser.parse_args(argv)
    paths = write_notebooks(args.out, args.small, args.execute, args.timeout, args.lessons)
    print(f"wrote {len(paths)} notebooks to {args.out}")
    return paths


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
