"""MkDocs hooks: the site is assembled from the project's own files, so nothing is copied by hand.

* ``<!-- include PATH -->`` in a page is replaced by the file PATH (relative to the repository
  root), and ``<!-- include PATH "Heading" -->`` by the body of that section of it (up to the
  next heading of the same or a higher level; a ``#`` section ends at the first ``##``: it is
  the file's introduction). ``docs/getting-started.md``,
  ``docs/differences.md``, ``docs/benchmarks.md`` ... are such one-line pages over ``README.md``,
  ``benchmarks/RESULTS.md`` and ``CONTRIBUTING.md``.
* Links are written for GitHub (relative to the file they are in). Each link of every page is
  resolved against the repository: a file under ``docs/`` becomes a link to its page; a file with
  a page of its own (``README.md``, ``CONTRIBUTING.md``, ``benchmarks/RESULTS.md``, a lesson
  script) links to that page; any other existing file (a source file) is shown as its path, or
  linked to ``extra.source_url`` + path where mkdocs.yml sets one. A link to nothing is left as
  it is, and ``mkdocs build --strict`` fails on it.
* Generated pages (never stored): the API reference (``reference/``, from
  ``tools/make_reference.py``) and one page per lesson (``lessons/<name>.md``, from the script's
  docstring, with the figures of its executed notebook, ``notebooks/<name>.ipynb``, when
  ``python tools/make_notebooks.py --small --execute`` has made them).
* The navigation lists the lessons found in ``examples/``.
"""

from __future__ import annotations

import base64
import json
import posixpath
import re
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(ROOT))

import make_notebooks  # noqa: E402  (tools/ is not a package)
import make_reference  # noqa: E402

INCLUDE = re.compile(r'<!--\s*include\s+(\S+)(?:\s+"([^"]+)")?\s*-->')
LINK = re.compile(r"(!?\[[^\]]*\])\(([^)\s]+)((?:\s+\"[^\"]*\")?)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
# repository files that are a page of the site (besides docs/ itself and the lessons)
PAGE_OF = {"README.md": "index.md", "CONTRIBUTING.md": "contributing.md",
           "benchmarks/RESULTS.md": "benchmarks.md"}


# ---------------------------------------------------------------- includes

def section(text: str, title: str, path: str) -> str:
    """The body of the section headed ``title`` (any level) in ``text``."""
    lines = text.splitlines()
    fence = False
    for index, line in enumerate(lines):
        fence ^= line.lstrip().startswith("```")
        match = None if fence else HEADING.match(line)
        if match and match.group(2) == title:
            level = len(match.group(1))
            return "\n".join(_until_next_heading(lines[index + 1:], level))
    raise ValueError(f"include: no section {title!r} in {path}")


def _until_next_heading(lines: list[str], level: int) -> list[str]:
    body, fence = [], False
    for line in lines:
        fence ^= line.lstrip().startswith("```")
        match = None if fence else HEADING.match(line)
        if match and len(match.group(1)) <= max(level, 2):
            break
        body.append(line)
    return body


def expand_includes(markdown: str, page_path: str, source_url: str | None = None) -> str:
    """Replace each include comment with the text it names, links made relative to the page."""
    def replace(match: re.Match) -> str:
        path, title = match.group(1), match.group(2)
        text = (ROOT / path).read_text(encoding="utf-8")
        if title:
            text = section(text, title, path)
        return rewrite_links(text, path, page_path, source_url)

    return INCLUDE.sub(replace, markdown)


# ---------------------------------------------------------------- links

def slug(title: str) -> str:
    """The anchor GitHub and MkDocs give a heading ("A first look" -> "a-first-look")."""
    return re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", title.strip().lower()))


def included_sections() -> dict[tuple[str, str], str]:
    """(repository file, anchor of a section) -> the page that includes that section."""
    found = {}
    for page in (ROOT / "docs").rglob("*.md"):
        for match in INCLUDE.finditer(page.read_text(encoding="utf-8")):
            if match.group(2):
                page_path = page.relative_to(ROOT / "docs").as_posix()
                found[(match.group(1), slug(match.group(2)))] = page_path
    return found


def lesson_names() -> set[str]:
    return {lesson.name for lesson in make_notebooks.lessons()}


def site_page_for(repo_path: str) -> str | None:
    """The docs-relative path of the page (or image) that shows a repository file, if any."""
    if repo_path.startswith("docs/"):
        return repo_path.removeprefix("docs/")
    if repo_path in PAGE_OF:
        return PAGE_OF[repo_path]
    folder, _, name = repo_path.rpartition("/")
    if folder == "examples" and name.endswith(".py") and name[:-3] in lesson_names():
        return f"lessons/{name[:-3]}.md"
    return None


def rewrite_links(markdown: str, source_path: str, page_path: str,
                  source_url: str | None = None) -> str:
    """Rewrite the links of text written in repository file ``source_path`` for the page
    ``page_path`` (docs-relative) of the site."""
    source_dir = posixpath.dirname(source_path)
    page_dir = posixpath.dirname(page_path)

    def replace(match: re.Match) -> str:
        label, target, title = match.groups()
        if target.startswith("#") and source_path != f"docs/{page_path}":
            page = included_sections().get((source_path, target[1:]))
            if page is not None:  # a section of the included file that another page shows
                return f"{label}({posixpath.relpath(page, page_dir or '.')}{title})"
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target):
            return match.group(0)
        path, hash_, anchor = target.partition("#")
        repo_path = posixpath.normpath(posixpath.join(source_dir, path)) if path else source_path
        page = site_page_for(repo_path)
        if page is not None:
            relative = posixpath.relpath(page, page_dir or ".")
            return f"{label}({relative}{hash_}{anchor}{title})"
        if (ROOT / repo_path).exists() and not label.startswith("!"):
            if source_url:
                return f"{label}({source_url.rstrip('/')}/{repo_path}{title})"
            text = label[1:-1]
            return text if f"`{repo_path}`" in text or text.strip("`") == repo_path else \
                f"{text} (`{repo_path}`)"
        return match.group(0)

    return LINK.sub(replace, markdown)


# ---------------------------------------------------------------- generated pages

def notebook_figures(name: str) -> list[bytes]:
    """The PNG outputs of the executed notebook of a lesson (none if it was not executed)."""
    path = make_notebooks.NOTEBOOKS / f"{name}.ipynb"
    if not path.is_file():
        return []
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [base64.b64decode("".join(output["data"]["image/png"]))
            for cell in notebook["cells"] for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})]


def lesson_page(lesson: make_notebooks.Lesson, figures: list[str]) -> str:
    title, body = make_notebooks.title_and_body(lesson.docstring)
    lines = [f"# {title}", "",
             f"Script: `python examples/{lesson.name}.py` · Notebook: `notebooks/{lesson.name}"
             ".ipynb` (`python tools/make_notebooks.py` makes it) · This page is generated from "
             "the script's docstring.", "", body, ""]
    if figures:
        lines += ["## Figures", "",
                  "From the notebook run with small settings "
                  f"(`{' '.join(lesson.settings(small=True)) or 'the defaults'}`); the full run "
                  "draws the same figures from more steps.", ""]
        lines += [f"![{lesson.name}, figure {k}]({posixpath.basename(src)})"
                  for k, src in enumerate(figures, 1)]
    return "\n".join(lines) + "\n"


def lessons_index(lessons: list[make_notebooks.Lesson]) -> str:
    lines = ["| lesson | script |", "|---|---|"]
    for lesson in lessons:
        title, _ = make_notebooks.title_and_body(lesson.docstring)
        lines.append(f"| [{title}]({lesson.name}.md) | `examples/{lesson.name}.py` |")
    return "\n".join(lines)


def _generated(config, files, src_uri: str, content: str | bytes) -> None:
    from mkdocs.structure.files import File  # imported here: the helpers above need no MkDocs

    if files.get_file_from_path(src_uri) is None:
        files.append(File.generated(config, src_uri, content=content))


# docstrings are shown as the plain text they are: wrap their long lines instead of scrolling
STYLESHEET = (".language-text.highlight pre code "
              "{ white-space: pre-wrap; overflow-wrap: anywhere; }\n")


def on_files(files, config):
    _generated(config, files, "assets/microtensor.css", STYLESHEET)
    for name, text in make_reference.reference_pages().items():
        _generated(config, files, f"reference/{name}", text)
    for lesson in make_notebooks.lessons():
        if files.get_file_from_path(f"lessons/{lesson.name}.md") is not None:
            continue  # the lesson has a page written by hand (docs/lessons/<name>.md)
        figures = []
        for k, png in enumerate(notebook_figures(lesson.name), 1):
            src = f"lessons/{lesson.name}-figure-{k}.png"
            _generated(config, files, src, png)
            figures.append(src)
        _generated(config, files, f"lessons/{lesson.name}.md", lesson_page(lesson, figures))
    return files


def on_config(config):
    lessons = [{lesson.name: f"lessons/{lesson.name}.md"} for lesson in make_notebooks.lessons()]
    families = sorted(path.relative_to(ROOT / "docs").as_posix()
                      for path in (ROOT / "docs" / "api").glob("*.md") if path.name != "README.md")
    reference = [f"reference/{ns.page}" for ns in make_reference.NAMESPACES]
    config["nav"] = [
        {"Home": "index.md"},
        {"Getting started": "getting-started.md"},
        {"Lessons": [{"All lessons": "lessons/index.md"}, *lessons]},
        {"PyTorch's tutorials": "tutorials.md"},
        {"Graph explorer": "explorer.md"},
        {"Reading the source": "reading-the-source.md"},
        {"API reference": [{"Contents": "reference/index.md"}, *reference]},
        {"API by family": [{"Contents": "api/README.md"}, *families]},
        {"Differences from PyTorch": "differences.md"},
        {"Benchmarks": "benchmarks.md"},
        {"Contributing": "contributing.md"},
    ]
    listed = set(_nav_paths(config["nav"]))
    others = sorted(path.relative_to(ROOT / "docs").as_posix()
                    for path in (ROOT / "docs").rglob("*.md")
                    if path.relative_to(ROOT / "docs").as_posix() not in listed)
    if others:  # a page added under docs/ later is on the site even before it has a place
        config["nav"].append({"More": others})
    return config


def _nav_paths(nav) -> list[str]:
    """Every page path named in a nav structure (nested lists and one-key dicts)."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [path for value in nav.values() for path in _nav_paths(value)]
    return [path for item in nav for path in _nav_paths(item)]


def on_page_markdown(markdown: str, page, config, files) -> str:
    page_path = page.file.src_uri
    source_url = (config.get("extra") or {}).get("source_url")
    markdown = expand_includes(markdown, page_path, source_url)
    markdown = markdown.replace("<!-- lessons -->", lessons_index(make_notebooks.lessons()))
    return rewrite_links(markdown, f"docs/{page_path}", page_path, source_url)
