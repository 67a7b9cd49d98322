"""The explorer page in a real browser: headless Chromium driven by Playwright.

Playwright (the ``dev`` extra) drives the distribution's Chromium (``/usr/bin/chromium``, which
``.ci/run`` installs); no browser is downloaded. Without Chromium or Playwright these tests are
skipped -- unless ``CI`` or ``MICROTENSOR_REQUIRE_BROWSER`` is set (``.ci/run`` sets the latter),
where they fail instead, so CI cannot pass without running them.

Screenshots of a few states go to ``runs/test-artifacts/explorer/`` (or ``$MICROTENSOR_ARTIFACTS``).
"""

from __future__ import annotations

import inspect
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import microtensor as mt
from microtensor import nn
from microtensor.autograd.engine import backward_order
from microtensor.ops.elementwise import TanhOp
from microtensor.viz.explore.formulas import _n
from microtensor.viz.graph import _format_number

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
POINTS = [(0.5, 1.4), (2.3, 1.9), (2.9, 3.2)]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _missing(reason: str) -> None:
    if os.environ.get("CI") or os.environ.get("MICROTENSOR_REQUIRE_BROWSER"):
        pytest.fail(f"the browser tests must run here, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        _missing("no Chromium was found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="chromium-profile-"), executable_path=executable,
            args=CHROMIUM_FLAGS, headless=True, viewport={"width": 1400, "height": 800})
        yield context
        context.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("MICROTENSOR_ARTIFACTS", ROOT / "runs" / "test-artifacts"))
    folder = folder / "explorer"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Opened:
    """A page opened in the browser, with the console errors it logged."""

    def __init__(self, context, page_file: mt.viz.ExplorerPage) -> None:
        self.file = page_file
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(page_file.path.resolve().as_uri())
        self.page.wait_for_function("window.explorerReady === true", timeout=30_000)

    def state(self) -> dict:
        return self.page.evaluate("explorer.state()")

    def current_ids(self) -> list[str]:
        return self.page.eval_on_selector_all("g.node.current", "els => els.map(e => e.id)")

    def panel(self) -> str:
        return self.page.inner_text("#panel")

    def click_node(self, node_id: str) -> None:
        self.page.click(f"g.node[id='{node_id}'] text")


@pytest.fixture(scope="module")
def line_fit(browser, tmp_path_factory):
    intercept = mt.tensor(0.0, requires_grad=True)
    slope = mt.tensor(1.0, requires_grad=True)
    loss = None
    for weight, height in POINTS:
        squared = (height - (intercept + slope * weight)) ** 2
        loss = squared if loss is None else loss + squared
    path = tmp_path_factory.mktemp("pages") / "line_fit.html"
    page = mt.viz.explore(loss, {"intercept": intercept, "slope": slope}, path=path,
                          title="line fit", quiet=True)
    opened = Opened(browser, page)
    yield opened, loss
    opened.page.close()


@pytest.fixture(scope="module")
def mlp(browser, tmp_path_factory):
    mt.manual_seed(0)
    x, y = mt.randn(5, 3), mt.randn(5, 1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    path = tmp_path_factory.mktemp("pages") / "mlp.html"
    page = mt.viz.explore(lambda: ((model(x) - y) ** 2).mean(), model=model, path=path,
                          quiet=True, collapse=False)
    opened = Opened(browser, page)
    yield opened
    opened.page.close()


def tensor_id(opened: Opened, name: str) -> str:
    return next(t.id for t in opened.file.graph.tensors.values() if t.name == name)


def test_page_loads_without_console_errors(line_fit, mlp):
    opened, _ = line_fit
    assert opened.errors == [] and mlp.errors == []
    assert opened.page.evaluate("window.explorerReadyTime") > 0
    assert opened.page.locator("#canvas svg").count() == 1


def test_forward_then_backward_in_the_engines_order(line_fit, artifacts):
    opened, loss = line_fit
    graph = opened.file.graph
    op_id = {id(op.node): op.id for op in graph.ops.values()}
    engine = [op_id[id(node)] for node in backward_order([loss])]  # what the engine will run
    opened.page.evaluate("explorer.goto(0)")
    seen_forward, seen_backward = [], []
    for _ in range(len(graph.forward_order) + len(engine)):
        opened.page.keyboard.press("ArrowRight")
        state = opened.state()
        assert opened.current_ids() == [state["op"]]  # the highlighted node is the step's op
        (seen_forward if state["phase"] == "forward" else seen_backward).append(state["op"])
        if len(seen_backward) == 3:
            opened.page.screenshot(path=str(artifacts / "line_fit_backward_step3.png"))
    assert seen_forward == graph.forward_order
    assert seen_backward == engine
    opened.page.keyboard.press("ArrowLeft")
    assert opened.state()["op"] == engine[-2]
    assert int(opened.page.input_value("#slider")) == opened.state()["step"]


def test_summed_contributions_are_shown_as_a_sum(browser, tmp_path):
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3  # used three times: both operands of h * h, and h.sum()
    page = mt.viz.explore((h * h).sum() + h.sum(), path=tmp_path / "twice.html", quiet=True)
    opened = Opened(browser, page)
    made_h = next(op.id for op in page.graph.ops.values() if op.node is h.grad_fn)
    step = opened.page.evaluate(
        f"explorer.steps.findIndex(s => s.phase === 'backward' && s.op === '{made_h}')")
    opened.page.evaluate(f"explorer.goto({step})")
    panel = opened.panel()
    assert "sum of 3 contributions: g = [1, 1] + [3, 6] + [3, 6] = [7, 13]" in panel, panel
    opened.page.close()


def test_clicking_the_parameters_shows_value_and_gradient(line_fit, artifacts):
    opened, _ = line_fit
    opened.page.evaluate("explorer.goto(0)")
    opened.click_node(tensor_id(opened, "intercept"))
    panel = opened.panel()
    assert "intercept" in panel
    assert opened.page.inner_text("#panel pre.values.data") == "0"
    assert opened.page.inner_text("#panel pre.values.grad") == "-1.6"
    # used by three ops: its gradient is the sum of three contributions (-2 x each residual),
    # listed in the order the backward pass delivered them (the third point first)
    assert opened.page.inner_text("#panel .sum") == "-0.6 + 0.8 + -1.8 = -1.6"
    opened.page.screenshot(path=str(artifacts / "line_fit_intercept.png"))
    opened.click_node(tensor_id(opened, "slope"))
    assert opened.page.inner_text("#panel pre.values.data") == "1"
    assert opened.page.inner_text("#panel pre.values.grad") == "-0.8"


def test_op_formula_is_the_docstring_with_numbers(mlp, artifacts):
    tanh = next(op.id for op in mlp.file.graph.ops.values() if op.node.op_name == "Tanh")
    mlp.click_node(tanh)
    assert mlp.page.inner_text("#panel pre.doc") == inspect.cleandoc(TanhOp.__doc__)
    step = next(s for s in mlp.file.graph.backward_steps if s.op == tanh)
    output = mlp.file.graph.tensors[mlp.file.graph.ops[tanh].output].tensor
    g, z = float(step.grad.flat[0]), float(output.detach().numpy().flat[0])  # element [0]
    expected = (f"dL/dx = g · (1 − z²) = {_n(g)} · (1 − {_n(z)}²) = "
                f"{_format_number(g * (1 - z * z))}")
    assert mlp.page.inner_text("#panel .plug") == expected
    mlp.page.screenshot(path=str(artifacts / "mlp_tanh.png"))


def test_nan_is_flagged_with_the_op_that_made_it(browser, tmp_path, artifacts):
    x = mt.tensor([-1.0, 2.0], requires_grad=True)
    loss = (mt.log(x) * 2).sum()
    opened = Opened(browser, mt.viz.explore(loss, {"x": x}, path=tmp_path / "nan.html",
                                            quiet=True))
    alerts = opened.page.inner_text("#alerts")
    assert "NaN/inf first produced in the forward pass by Log" in alerts
    log_output = next(op.output for op in opened.file.graph.ops.values()
                      if op.node.op_name == "Log")
    assert opened.page.get_attribute(f"g.node[id='{log_output}']", "class").count("flagged")
    opened.page.screenshot(path=str(artifacts / "nan_flagged.png"))
    assert opened.errors == []
    opened.page.close()


def test_the_cnn_steps_modules_open_on_click(browser, tmp_path, artifacts):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "explore_graph", ROOT / "examples" / "explore_graph.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    page = example.cnn_step(tmp_path)
    assert page.path.stat().st_size < 5_000_000
    opened = Opened(browser, page)
    opened.page.click("g.node[id='m_features'] text")
    assert opened.state()["view"] == "features"
    assert opened.page.locator("g.node[id^='op']").count() >= 4
    opened.page.screenshot(path=str(artifacts / "cnn_features.png"))
    opened.page.click("#crumbs a[data-view='']")
    assert opened.state()["view"] == ""
    assert opened.errors == []
    opened.page.close()


def test_a_missing_browser_skips_only_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("MICROTENSOR_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception):
        _missing("no Chromium")
    for variable in ("CI", "MICROTENSOR_REQUIRE_BROWSER"):
        monkeypatch.setenv(variable, "1")
        with pytest.raises(pytest.fail.Exception, match="must run here"):
            _missing("no Chromium")
        monkeypatch.delenv(variable)
