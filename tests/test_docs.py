"""The documentation site and the notebooks: complete, generated from one source, and working.

* Every public name (``mt.*`` and every public submodule's names, every ``Tensor`` method and
  property) has an entry in the API reference that ``tools/make_reference.py`` generates.
* Every lesson script in ``examples/`` has a notebook made from it, with small settings for CI;
  one notebook is executed here (its figures must appear inline). CI executes all of them
  (``python tools/make_notebooks.py --small --execute`` in ``.ci/run``) and then builds the site
  with ``mkdocs build --strict``.
* The MkDocs hooks include README sections and rewrite links correctly.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from pathlib import Path

import pytest

import microtensor as mt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import make_notebooks  # noqa: E402  (tools/ is a folder of scripts, not a package)
import make_reference  # noqa: E402
import mkdocs_hooks  # noqa: E402

# modules of the top-level package that are implementation, not API (their public names are
# re-exported as mt.*)
INTERNAL_MODULES = {"creation", "methods", "ops", "tensor_repr", "toplevel", "serialization"}


def public_modules() -> dict[str, types.ModuleType]:
    """Every public module reachable from ``microtensor``: via ``__all__`` where a module has
    one, else via its public attributes."""
    found: dict[str, types.ModuleType] = {"microtensor": mt}
    stack = [mt]
    while stack:
        module = stack.pop()
        names = getattr(module, "__all__", None) or [
            name for name in dir(module)
            if not name.startswith("_") and not (module is mt and name in INTERNAL_MODULES)]
        for name in names:
            child = getattr(module, name)
            if (isinstance(child, types.ModuleType) and child.__name__.startswith("microtensor")
                    and child.__name__ not in found):
                found[child.__name__] = child
                stack.append(child)
    return found


def expected_names(module: types.ModuleType) -> list[str]:
    """What a learner can reach as ``module.name``: ``__all__``, or every public attribute that
    is not a module and (below the top level) not a class or function imported from elsewhere."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    names = []
    for name in dir(module):
        value = getattr(module, name)
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        home = getattr(value, "__module__", "") or ""
        imported = ((inspect.isclass(value) or inspect.isroutine(value))
                    and not home.startswith(module.__name__))
        if module is not mt and imported:
            continue
        names.append(name)
    return names


@pytest.fixture(scope="module")
def reference() -> dict[str, str]:
    return make_reference.reference_pages()


def anchors_on(page: str) -> set[str]:
    return {line.split("{: #", 1)[1].split(" }", 1)[0]
            for line in page.splitlines() if line.startswith("#") and "{: #" in line}


def test_every_public_module_has_a_reference_page():
    documented = {ns.module for ns in make_reference.NAMESPACES}
    missing = sorted(set(public_modules()) - documented)
    assert not missing, f"public modules without an API reference page: {missing}"


def test_every_public_name_is_in_the_api_reference(reference):
    missing = []
    for namespace in make_reference.NAMESPACES:
        if not namespace.module:
            continue
        anchors = anchors_on(reference[namespace.page])
        module = importlib.import_module(namespace.module)
        missing += [namespace.prefix + name for name in expected_names(module)
                    if namespace.prefix + name not in anchors]
    assert not missing, f"{len(missing)} public names missing from the reference: {missing[:20]}"
    assert len(anchors_on(reference["torch.md"])) > 300


def test_every_tensor_method_and_property_is_in_the_api_reference(reference):
    anchors = anchors_on(reference["tensor.md"])
    names = [name for name in dir(mt.Tensor) if not name.startswith("_")]
    missing = [name for name in names if f"Tensor.{name}" not in anchors]
    assert not missing, f"Tensor members missing from the reference: {missing}"
    assert {"backward", "grad", "requires_grad", "sum"} <= {name for name in names}


def test_reference_entries_show_signature_and_docstring(reference):
    page = reference["nn.md"]
    entry = page.split("### mt.nn.Linear {: #mt.nn.Linear }", 1)[1].split("\n### ", 1)[0]
    assert "mt.nn.Linear(in_features" in entry
    assert mt.nn.Linear.__doc__.strip().splitlines()[0].strip() in entry
    torch_page = reference["torch.md"]
    assert "### mt.tensor {: #mt.tensor }" in torch_page
    # an alias points to the first name bound to the same function instead of repeating it
    if mt.absolute is mt.abs:
        assert "The same function as [`mt.abs`](#mt.abs)." in torch_page
    # Tensor methods without their own docstring point to the mt function they call
    tensor_page = reference["tensor.md"]
    bare = [name for name in dir(mt.Tensor) if not name.startswith("_")
            and callable(getattr(mt.Tensor, name)) and not getattr(mt.Tensor, name).__doc__
            and callable(getattr(mt, name, None)) and not isinstance(getattr(mt, name), type)]
    for name in bare[:20]:
        entry = tensor_page.split(f"### Tensor.{name} {{: #Tensor.{name} }}", 1)[1]
        assert f"[`mt.{name}`](torch.md#mt.{name})" in entry.split("\n### ", 1)[0], name


def test_reference_index_links_every_page(reference):
    for namespace in make_reference.NAMESPACES:
        assert f"]({namespace.page})" in reference["index.md"]


# ---------------------------------------------------------------- notebooks

def test_every_lesson_script_has_a_notebook():
    scripts = sorted(path.stem for path in (ROOT / "examples").glob("*.py")
                     if not path.name.startswith("_"))
    assert [lesson.name for lesson in make_notebooks.lessons()] == scripts
    assert {"line_fit", "train_cnn", "gpt"} <= set(scripts)


def test_every_lesson_has_small_settings_for_ci():
    """A new lesson needs a ``--fast`` flag (or an entry in SMALL_SETTINGS) so CI stays fast."""
    no_small = [lesson.name for lesson in make_notebooks.lessons()
                if not set(lesson.settings(small=True)) - {"--no-progress"}]
    assert set(no_small) <= {"draw_graph", "explore_graph"}, no_small  # these are quick as is


def test_notebook_is_the_script_docstring_then_its_main():
    lesson = make_notebooks.read_lesson(ROOT / "examples" / "line_fit.py")
    assert lesson is not None and lesson.main_takes_argv and "--fast" in lesson.flags
    full = make_notebooks.make_notebook(lesson)
    small = make_notebooks.make_notebook(lesson, small=True)
    title, body = make_notebooks.title_and_body(lesson.docstring)
    kinds = [cell.cell_type for cell in full.cells]
    assert kinds == ["markdown", "code", "markdown", "code", "markdown", "code"]
    assert full.cells[0].source.startswith(f"# {title}\n")
    assert body in full.cells[0].source and "edit the script" in full.cells[0].source
    assert "result = line_fit.main(['--out', str(OUT)])" in full.cells[3].source
    assert "result = line_fit.main(['--fast', '--out', str(OUT)])" in small.cells[3].source
    assert "display(Image(" in full.cells[5].source
    import nbformat

    nbformat.validate(full)  # a valid nbformat 4 notebook that Jupyter opens


def test_script_whose_main_reads_sys_argv_gets_it_set():
    lesson = make_notebooks.read_lesson(ROOT / "examples" / "draw_graph.py")
    assert lesson is not None and not lesson.main_takes_argv
    source = make_notebooks.make_notebook(lesson, small=True).cells[3].source
    assert "sys.argv = ['draw_graph.py', '--out', str(OUT)]" in source
    assert source.endswith("result = draw_graph.main()")


def test_a_script_without_main_is_not_a_lesson(tmp_path):
    (tmp_path / "helper.py").write_text('"""Shared code."""\nX = 1\n')
    assert make_notebooks.read_lesson(tmp_path / "helper.py") is None
    assert make_notebooks.lessons(tmp_path) == []


def test_lesson_notebook_executes_and_shows_its_figures_inline(tmp_path):
    """The line-fit notebook runs in a fresh Jupyter kernel; its figures appear as PNG outputs
    (CI runs every notebook the same way)."""
    paths = make_notebooks.write_notebooks(tmp_path, small=True, run=True, timeout=300,
                                           only=["line_fit"])
    import nbformat

    notebook = nbformat.read(paths[0], as_version=4)
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    printed = "".join(output.get("text", "") for output in outputs)
    assert "-5.7" in printed  # the first derivative the lesson teaches
    assert sum("image/png" in output.get("data", {}) for output in outputs) >= 1


# ---------------------------------------------------------------- site hooks

def test_include_takes_one_section_of_the_readme():
    text = "# T\n\nintro\n\n## A b\n\nbody\n\n### sub\n\nmore\n\n## Next\n\nrest\n"
    assert mkdocs_hooks.section(text, "A b", "x.md").strip() == "body\n\n### sub\n\nmore"
    assert mkdocs_hooks.section(text, "T", "x.md").strip() == "intro"
    with pytest.raises(ValueError, match="no section 'Missing' in x.md"):
        mkdocs_hooks.section(text, "Missing", "x.md")
    readme = mkdocs_hooks.expand_includes('<!-- include README.md "Reading the source" -->',
                                          "reading-the-source.md")
    assert "class TanhOp(Op):" in readme and "## Correctness" not in readme


def test_headings_inside_code_fences_do_not_end_a_section():
    text = "## A\n\n```bash\n# a comment, not a heading\n```\nafter\n\n## B\n"
    assert "after" in mkdocs_hooks.section(text, "A", "x.md")


def test_links_are_rewritten_for_the_site():
    rewrite = mkdocs_hooks.rewrite_links
    # README links into docs/ become page links, relative to the page that shows them
    assert rewrite("[api](docs/api/README.md)", "README.md", "index.md") == "[api](api/README.md)"
    assert rewrite("![c](docs/images/cnn_curves.png)", "README.md", "lessons/index.md") \
        == "![c](../images/cnn_curves.png)"
    # files with a page of their own link to it
    assert rewrite("[r](benchmarks/RESULTS.md)", "README.md", "index.md") == "[r](benchmarks.md)"
    assert rewrite("[x](../examples/line_fit.py)", "docs/explorer.md", "explorer.md") \
        == "[x](lessons/line_fit.md)"
    # source files are shown as their path, or linked where a source_url is configured
    assert rewrite("[t](microtensor/tensor.py)", "README.md", "index.md") \
        == "t (`microtensor/tensor.py`)"
    assert rewrite("[t](microtensor/tensor.py)", "README.md", "index.md", "https://h/b") \
        == "[t](https://h/b/microtensor/tensor.py)"
    # external links, anchors and broken links are left for MkDocs (strict mode fails on these)
    for text in ("[w](https://example.org)", "[s](#speed)", "[n](docs/nothing.md)"):
        assert rewrite(text, "docs/index.md", "index.md") == text


def test_readme_anchor_to_a_section_shown_on_another_page():
    text = mkdocs_hooks.rewrite_links("see [Speed](#speed)", "README.md", "index.md")
    assert text == "see [Speed](benchmarks.md)"


def test_every_site_include_names_an_existing_file_and_section():
    for page in (ROOT / "docs").rglob("*.md"):
        markdown = page.read_text(encoding="utf-8")
        for match in mkdocs_hooks.INCLUDE.finditer(markdown):
            path, title = match.group(1), match.group(2)
            assert (ROOT / path).is_file(), f"{page}: include of missing {path}"
            if title:
                assert mkdocs_hooks.section((ROOT / path).read_text(encoding="utf-8"), title,
                                            path).strip(), f"{page}: empty section {title!r}"
