"""The browser checks of ``tools/site_test.py`` catch what they name, on small pages built here.

Each check runs in Debian's headless Chromium on a page with one defect a reader would meet
(a code line that wraps, a table cut off on a phone, a path that makes a phone's page pan
sideways, a file name as alt text, a maintainer's line, a dead menu button, a figure dimmed in
dark mode) and on a page without it: the check must report the first and stay quiet on the
second. The path is also read with the course's own style sheet, which must let it break.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools import site_test

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="Debian's chromium is not installed (`make chromium`)",
)

LONG = "x = torch.stack([" + ", ".join(f"weights[{i}]" for i in range(30)) + "])"
WIDE_ROW = "".join(f"<td style=\"white-space: nowrap\">column {i} with some words</td>" for i in range(14))
SPHINX_PRE = "span.pre { white-space: nowrap; hyphens: none }"  # Sphinx's basic.css
READING_CSS = (Path(__file__).parents[1] / "_static" / "reading.css").read_text(encoding="utf-8")
LITERAL = ('<code class="docutils literal notranslate"><span class="pre">'
           "benchmarks/results/imdb_scale_cuda_h200_with_a_long_name.txt</span></code>")
PAGES = {
    "code-scrolls": f'<div class="highlight"><pre style="white-space: pre; overflow-x: auto">{LONG}</pre></div>',
    "code-wraps": f'<div class="highlight"><pre style="white-space: pre-wrap">{LONG}</pre></div>',
    "output-wraps": f'<div class="cell_output"><pre style="white-space: pre-line">{LONG}</pre></div>',
    "table-scrolls": f'<div style="overflow-x: auto"><table><tr>{WIDE_ROW}</tr></table></div>',
    "table-clipped": f'<div style="overflow-x: hidden"><table><tr>{WIDE_ROW}</tr></table></div>',
    "table-overflows": f"<table><tr>{WIDE_ROW}</tr></table>",
    # narrower than the window, wider than the box that hides its overflow
    "table-clipped-in-box": '<div style="overflow-x: hidden; width: 200px"><table><tr>'
    + "".join(f'<td style="white-space: nowrap">column {i}</td>' for i in range(6))
    + "</tr></table></div>",
    "alt-good": '<img src="figure.png" alt="Two curves: the forget gate stays near 1">',
    "alt-file-name": '<img src="figure.png" alt="figure.png">',
    "alt-missing": '<img src="figure.png">',
    "clean-text": "<p>The gradient reaches step 1 through the cell state.</p>",
    "result-line": "<pre>RESULT rnn_mse_T200=0.25</pre>",
    "lint-comment": "<pre>def f(x=torch.zeros(3)):  # noqa: B008</pre>",
    "claim-line": "<p>[claim checked] the loss falls</p>",
    "gpu-message": "<p>GPU output pending: run make gpu-cells</p>",
    # inline code as Sphinx writes it (each word in a no-wrap span.pre): a path longer than a
    # phone's line, without and with the course's style sheet
    "path-pans": f"<style>{SPHINX_PRE}</style><p>See {LITERAL}.</p>",
    "path-breaks": f"<style>{SPHINX_PRE}\n{READING_CSS}</style><p>See {LITERAL}.</p>",
}
# A page with a menu button and a chapter list, as the theme builds them (the list hidden on a
# phone until the button is pressed). WORKS: what the button does.
NAV = """<!doctype html><html><head><meta name="viewport" content="width=device-width">
<style>.bd-sidebar-primary {{ display: block }}
@media (max-width: 900px) {{ .bd-sidebar-primary {{ display: none }} .open {{ display: block }} }}
</style></head><body>
<button class="primary-toggle" onclick="{action}">menu</button>
<nav class="bd-sidebar-primary" id="side"><a href="02_sigmoid_tanh.html">Chapter 2</a></nav>
<article><p>{body}</p></article></body></html>"""
DARK = """<!doctype html><html><head><script>
document.documentElement.dataset.theme = localStorage.getItem('mode') || 'light';</script>
<style>{style}</style></head><body><article><img src="../figure.png" alt="A diagram of the cell">
</article></body></html>"""


def _site(root: Path, *, menu_works: bool = True, figures_inverted: bool = True) -> Path:
    import matplotlib.pyplot as plt
    import numpy as np

    root.mkdir()
    plt.imsave(root / "figure.png", np.ones((8, 8)))
    for name, body in PAGES.items():
        (root / f"{name}.html").write_text(
            '<!doctype html><html><head><meta name="viewport" content="width=device-width"></head>'
            f'<body><article class="bd-article">{body}</article></body></html>'
        )
    notebooks = root / "notebooks"
    notebooks.mkdir()
    action = "document.getElementById('side').classList.toggle('open')" if menu_works else ""
    (notebooks / "01_why_lstm.html").write_text(NAV.format(action=action, body="Chapter 1"))
    (notebooks / "02_sigmoid_tanh.html").write_text(NAV.format(action=action, body="Chapter 2"))
    style = "html[data-theme=dark] img { filter: invert(0.9) }" if figures_inverted else (
        "html[data-theme=dark] img { filter: brightness(0.8) }"
    )
    (notebooks / "03_scalar_gates.html").write_text(DARK.format(style=style))
    return root


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=site_test.chromium_path(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = _site(tmp_path_factory.mktemp("site") / "good")
    broken = _site(root.parent / "broken", menu_works=False, figures_inverted=False)
    servers = [site_test.serve(path) for path in (root, broken)]
    yield {"good": servers[0][1], "broken": servers[1][1]}
    for server, _ in servers:
        server.shutdown()


def _reader(browser, base: str, name: str, width: str) -> list[str]:
    context = browser.new_context(viewport={"width": site_test.WIDTHS[width], "height": 800})
    try:
        return site_test.reader_problems(context.new_page(), base, name, width)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("name", "width", "expected"),
    [
        ("code-wraps", "desktop", "a code or output line wraps: 'x = torch.stack("),
        ("code-wraps", "phone", "a code or output line wraps"),
        ("output-wraps", "phone", "a code or output line wraps"),
        ("table-clipped", "desktop", "cut off without a horizontal scroll: 'table: column 0"),
        ("table-overflows", "phone", "cut off without a horizontal scroll: 'table: column 0"),
        ("table-clipped-in-box", "desktop", "cut off without a horizontal scroll: 'table: column 0"),
        ("alt-file-name", "desktop", "image without alt text (or with its file name): figure.png"),
        ("alt-missing", "desktop", "image without alt text (or with its file name): figure.png"),
        ("result-line", "desktop", "text meant for maintainers: 'RESULT rnn_mse_T200=0.25'"),
        ("lint-comment", "desktop", "text meant for maintainers: 'noqa: B008'"),
        ("claim-line", "desktop", "text meant for maintainers: '[claim checked] the loss falls'"),
        ("gpu-message", "desktop", "text meant for maintainers: 'GPU output pending: run make gpu-cells'"),
        ("path-pans", "phone", "wider than the window, the whole page pans sideways: 'span: benchmarks/results/"),
    ],
)
def test_each_reader_check_reports_its_defect(browser, site, name, width, expected):
    problems = _reader(browser, site["good"], name, width)
    assert any(expected in problem for problem in problems), problems
    assert all(problem.startswith(f"{name} ({width}): ") for problem in problems), problems


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("name", ["code-scrolls", "table-scrolls", "alt-good", "clean-text", "path-breaks"])
def test_reader_checks_stay_quiet_on_a_page_without_defects(browser, site, name, width):
    assert _reader(browser, site["good"], name, width) == []


def test_a_menu_button_that_opens_the_chapter_list_passes_and_a_dead_one_fails(browser, site):
    context = browser.new_context(viewport={"width": site_test.WIDTHS["phone"], "height": 800})
    try:
        page = context.new_page()
        assert site_test.navigation_problems(page, site["good"], "phone") == []
        assert site_test.navigation_problems(page, site["broken"], "phone") == [
            "phone: the menu button did not open the chapter list on notebooks/01_why_lstm"
        ]
    finally:
        context.close()


def test_figures_dimmed_in_dark_mode_are_reported(browser, site, tmp_path):
    problems = {}
    for which in ("good", "broken"):
        context = browser.new_context(viewport={"width": site_test.WIDTHS["phone"], "height": 800})
        problems[which] = site_test.dark_mode_problems(context, site[which], tmp_path)
        context.close()
    assert problems["good"] == []
    assert problems["broken"] == ["dark mode: a figure is shown with filter 'brightness(0.8)', not inverted"]
