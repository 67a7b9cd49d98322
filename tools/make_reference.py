"""The API reference: one Markdown page per public namespace, generated from the docstrings.

The pages document what ``import microtensor`` really exposes, found by importing the package
(``__all__`` where a module has one, else every public attribute), so names made at import time
(re-exports, ``Tensor`` methods from the family mixins, aliases) are all there. Each name gets a
heading with a stable anchor (``#mt.nn.Linear``), its signature and its docstring, shown as the
plain text it is written in (the backward math of an op keeps its layout). A name bound to the
same object as one before it on the page (an alias such as ``mt.absolute``) points to it.

The MkDocs hook (``tools/mkdocs_hooks.py``) calls ``reference_pages()`` at build time, so the
pages are never stale and never stored; ``python tools/make_reference.py OUT`` writes them to a
folder to read or check them without MkDocs. ``tests/test_docs.py`` fails if a public name is
missing.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Namespace:
    """One reference page: a module (or the Tensor class) and the prefix of its names."""

    page: str  # file name under reference/
    title: str
    module: str  # import path of the module ("microtensor.nn"); "" for Tensor
    prefix: str  # how a learner writes it: "mt.nn."
    summary: str


NAMESPACES = [
    Namespace("torch.md", "mt (torch)", "microtensor", "mt.",
              "Tensors, factories, math, reductions, dtypes, devices, random numbers, saving."),
    Namespace("tensor.md", "Tensor", "", "Tensor.",
              "Every method and property of `mt.Tensor`."),
    Namespace("autograd.md", "mt.autograd", "microtensor.autograd", "mt.autograd.",
              "Gradients, grad modes, custom functions, gradient checks, anomaly detection."),
    Namespace("autograd-functional.md", "mt.autograd.functional",
              "microtensor.autograd.functional", "mt.autograd.functional.",
              "Jacobians, Hessians, vector products."),
    Namespace("profiler.md", "mt.autograd.profiler", "microtensor.autograd.profiler",
              "mt.autograd.profiler.", "Timing the ops of a run (also reached as `mt.profiler`)."),
    Namespace("nn.md", "mt.nn", "microtensor.nn", "mt.nn.", "Layers, losses, containers."),
    Namespace("functional.md", "mt.nn.functional", "microtensor.nn.functional",
              "mt.nn.functional.", "The functional form of layers and losses (`F`)."),
    Namespace("init.md", "mt.nn.init", "microtensor.nn.init", "mt.nn.init.",
              "Weight initialisation."),
    Namespace("nn-utils.md", "mt.nn.utils", "microtensor.nn.utils", "mt.nn.utils.",
              "Gradient clipping, parameter vectors, packed sequences."),
    Namespace("optim.md", "mt.optim", "microtensor.optim", "mt.optim.", "Optimizers."),
    Namespace("lr_scheduler.md", "mt.optim.lr_scheduler", "microtensor.optim.lr_scheduler",
              "mt.optim.lr_scheduler.", "Learning-rate schedules."),
    Namespace("linalg.md", "mt.linalg", "microtensor.linalg", "mt.linalg.", "Linear algebra."),
    Namespace("special.md", "mt.special", "microtensor.special", "mt.special.",
              "Special functions."),
    Namespace("utils.md", "mt.utils", "microtensor.utils", "mt.utils.", "Training utilities."),
    Namespace("utils-data.md", "mt.utils.data", "microtensor.utils.data", "mt.utils.data.",
              "Datasets, samplers, `DataLoader`."),
    Namespace("transforms.md", "mt.transforms", "microtensor.transforms", "mt.transforms.",
              "Image transforms (torchvision's names)."),
    Namespace("datasets.md", "mt.datasets", "microtensor.datasets", "mt.datasets.",
              "Data sets that work offline."),
    Namespace("viz.md", "mt.viz", "microtensor.viz", "mt.viz.",
              "Graph drawings, the graph explorer, training plots (microtensor's own)."),
    Namespace("landscape.md", "mt.landscape", "microtensor.landscape", "mt.landscape.",
              "The optimization lab: critical points, Hessians, loss landscapes "
              "(microtensor's own)."),
    Namespace("random.md", "mt.random", "microtensor.random", "mt.random.",
              "Random-number state."),
]


def namespace_object(namespace: Namespace) -> object:
    if not namespace.module:
        return importlib.import_module("microtensor").Tensor
    return importlib.import_module(namespace.module)


def defined_in(member: object, module: types.ModuleType) -> bool:
    """False for a class or function a module merely imports (``typing.Any``, ``Tensor``)."""
    if not (inspect.isclass(member) or inspect.isroutine(member)):
        return True
    home = getattr(member, "__module__", None) or ""
    package = "microtensor" if module.__name__ == "microtensor" else module.__name__
    return home == package or home.startswith(package + ".")


def public_names(obj: object) -> list[str]:
    """The public names of a module (``__all__`` if it has one) or of a class or namespace.

    Without ``__all__``: every public attribute except submodules (they have their own page or
    are internals) and, below the top level, classes and functions imported from elsewhere.
    """
    if isinstance(obj, types.ModuleType) and hasattr(obj, "__all__"):
        return sorted(set(obj.__all__))
    names = [name for name in dir(obj) if not name.startswith("_")]
    if isinstance(obj, types.ModuleType):
        names = [name for name in names if not isinstance(getattr(obj, name), types.ModuleType)
                 and defined_in(getattr(obj, name), obj)]
    return sorted(names)


def signature_of(obj: object) -> str:
    """``(x: Tensor, dim: int = 0) -> Tensor``: annotations without the quotes that postponed
    evaluation (``from __future__ import annotations``) puts around them."""
    try:
        signature = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""
    return re.sub(r"(: |-> )'([^']*)'", r"\1\2", signature)


def kind_of(obj: object) -> str:
    if isinstance(obj, property):
        return "property"
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "value"


def fenced(text: str) -> str:
    """Text in a fence longer than any backtick run inside it."""
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text}\n{fence}"  # plain text; the site's CSS wraps it


def is_namespace(obj: object) -> bool:
    """A ``torch.cuda``-like object that holds functions (``mt.cuda``, ``mt.backends``)."""
    return type(obj).__name__ == "_Namespace"


def entry(qualified: str, obj: object, level: int = 3) -> list[str]:
    """The Markdown of one name: heading with anchor, signature, docstring."""
    kind = kind_of(obj)
    lines = [f"{'#' * level} {qualified} {{: #{qualified} }}", ""]
    target = obj.fget if isinstance(obj, property) else obj
    if kind in ("function", "class") and not is_namespace(obj):
        lines += [fenced(f"{qualified}{signature_of(target)}"), ""]
    if kind == "value" and not is_namespace(obj):
        lines += [f"*{type(obj).__name__}*: `{obj!r}`", ""]
    if kind == "value" and not is_namespace(obj):
        return lines  # a dtype, a memory format, ...: its value says what it is
    own_doc = inspect.getdoc(target)
    lines += [fenced(own_doc) if own_doc else "*No docstring.*", ""]
    return lines


def class_members(qualified: str, cls: type) -> list[str]:
    """Public methods and properties a class defines itself, with a docstring (inherited ones
    are on their own class's entry); the undocumented ones (``forward``, ...) listed by name."""
    lines, undocumented = [], []
    for name, member in sorted(vars(cls).items()):
        if name.startswith("_") or not (callable(member) or isinstance(member, property)):
            continue
        member = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
        target = member.fget if isinstance(member, property) else member
        if target.__doc__:
            lines += entry(f"{qualified}.{name}", member, level=4)
        else:
            undocumented.append(f"`{name}`")
    if undocumented:
        lines += [f"Also defines: {', '.join(undocumented)}.", ""]
    return lines


def tensor_method_pointer(name: str, member: object) -> list[str]:
    """For a Tensor method without its own docstring: the ``mt.`` function it calls, if any."""
    import microtensor

    target = member.fget if isinstance(member, property) else member
    stem = name.removesuffix("_")
    function = getattr(microtensor, stem, None)
    if getattr(target, "__doc__", None) or not callable(function) or inspect.isclass(function):
        return []
    how = "In place: see" if name.endswith("_") and name != stem else "See"
    return [f"{how} [`mt.{stem}`](torch.md#mt.{stem}) (`self` is its first argument).", ""]


def render_name(namespace: Namespace, name: str, obj: object, seen: dict[int, str]) -> list[str]:
    qualified = namespace.prefix + name
    if id(obj) in seen and kind_of(obj) != "value":
        first = seen[id(obj)]
        return [f"### {qualified} {{: #{qualified} }}", "",
                f"The same {kind_of(obj)} as [`{first}`](#{first}).", ""]
    seen[id(obj)] = qualified
    pointer = tensor_method_pointer(name, obj) if not namespace.module else []
    lines = entry(qualified, obj)
    if pointer:
        lines[-2:] = pointer
    if inspect.isclass(obj) and namespace.module and obj.__name__ != "Tensor":
        lines += class_members(qualified, obj)
    if is_namespace(obj):
        for member in public_names(obj):
            lines += entry(f"{qualified}.{member}", getattr(obj, member), level=4)
    return lines


def render_page(namespace: Namespace) -> str:
    """One namespace's reference page."""
    obj = namespace_object(namespace)
    names = public_names(obj)
    lines = [f"# {namespace.title}", "", namespace.summary, "",
             f"*Generated from the docstrings by `tools/make_reference.py`: {len(names)} "
             "names.*", ""]
    seen: dict[int, str] = {}
    for name in names:
        member = inspect.getattr_static(obj, name) if inspect.isclass(obj) else getattr(obj, name)
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        lines += render_name(namespace, name, member, seen)
    return "\n".join(lines)


def render_index() -> str:
    lines = ["# API reference", "",
             "Every public name of microtensor, generated from its docstring. PyTorch's names "
             "are written as a user of `import microtensor as mt` writes them (`mt.` for "
             "`torch.`). The pages by family under *API by family* say which forms exist and "
             "how each name is differentiable.", "",
             "| page | what |", "|---|---|"]
    lines += [f"| [{ns.title}]({ns.page}) | {ns.summary} |" for ns in NAMESPACES]
    return "\n".join(lines) + "\n"


def reference_pages() -> dict[str, str]:
    """File name under ``reference/`` -> Markdown, for every page of the reference."""
    pages = {"index.md": render_index()}
    pages.update({ns.page: render_page(ns) for ns in NAMESPACES})
    return pages


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else ROOT / "runs" / "reference"
    out.mkdir(parents=True, exist_ok=True)
    for name, text in reference_pages().items():
        (out / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(NAMESPACES) + 1} pages to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
