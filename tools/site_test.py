"""Open every page of the built site in a real headless Chromium and check it as a reader would.

    python tools/site_test.py [--html _build/html] [--screenshots _build/screenshots]

Serves the built site on a loopback port and drives Debian's ``chromium`` (never a downloaded
browser) with Playwright. For every page in ``_toc.yml`` it checks: HTTP 200; no console
errors; every ``<img>`` loaded (``naturalWidth > 0``); rendered MathJax on pages with math; no
link to a page that does not exist; on notebook pages, a Colab link
``https://colab.research.google.com/github/<org>/<repo>/blob/main/notebooks/<name>.ipynb`` that
names a notebook in the repository.

Then, at a desktop width (1366 px) and a phone width (390 px), what a reader does and sees
(``reader_problems``): the visible menu button opens the chapter list and a chapter link there
opens that chapter; no code or output line wraps (long lines scroll sideways); no table or
display equation is cut off without a horizontal scroll; a table of words (no mathematics, up
to three columns) fits the text column, so every column reads without scrolling sideways; every
image has alt text that is not its file name; no text meant for maintainers (lint comments,
``RESULT`` lines, ``[claim checked]`` lines, ``make gpu-cells``); in dark mode, figures are
inverted rather than dimmed. Full-page screenshots of a few pages at both widths, and in dark
mode, go to ``--screenshots``.

The Chinese edition (``zh/``) gets the same checks on every page, and ``chinese_problems``: the
page is marked ``lang="zh-CN"`` and reads in Chinese with a CJK font the system has; the
language links lead to the same page in the other edition and back; the menu opens on a phone;
a search for a Chinese term finds Chinese pages.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.notebooks import repository_ref, repository_url  # noqa: E402
from tools.site_quiz_check import check_quiz  # noqa: E402

SCREENSHOTS = {
    "landing": "book/intro",
    "chapter03": "notebooks/03_scalar_gates",
    "chapter05": "notebooks/05_vectorized_cell",
    "chapter09": "notebooks/09_variable_length",
    "chapter12": "notebooks/12_imdb_glove_bilstm",
}
COLAB = "https://colab.research.google.com/github/"
WIDTHS = {"desktop": 1366, "phone": 390}
NAV_PAGE, NAV_TARGET = "notebooks/01_why_lstm", "notebooks/02_sigmoid_tanh"
# Text meant for the people who maintain the book, never for its readers.
MAINTAINER_TEXT = r"noqa|^RESULT \w+=|make gpu-cells|GPU output pending|\[claim (not )?checked"

# Elements that wrap a code line back to column 0 (white-space lets them wrap).
WRAPPED_CODE_JS = """() => Array.from(document.querySelectorAll(
  'article div.highlight pre, article div.cell_output pre, article div.output pre'))
  .filter(pre => !['pre', 'nowrap'].includes(getComputedStyle(pre).whiteSpace))
  .map(pre => pre.textContent.split('\\n').find(l => l.length > 40) || pre.textContent.slice(0, 60))"""

# Tables and display equations whose right part is hidden: no scrolling box between the element
# and a box that clips it (or the window).
CLIPPED_JS = """() => {
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const found = [];
  for (const el of document.querySelectorAll('article table, article mjx-container[display="true"]')) {
    const right = el.getBoundingClientRect().left + el.scrollWidth;
    let box = el, ok = false, clipBox = null;
    if (scrolls(el)) ok = true;
    while (!ok && (box = box.parentElement)) {
      if (scrolls(box)) { ok = true; break; }
      const style = getComputedStyle(box).overflowX;
      if (['hidden', 'clip'].includes(style) && right > box.getBoundingClientRect().right + 1) {
        clipBox = box; break;
      }
    }
    if (!ok && (clipBox || right > document.documentElement.clientWidth + 1))
      found.push(el.tagName.toLowerCase() + ': ' + el.textContent.trim().slice(0, 50));
  }
  return found;
}"""

# Tables of words (no mathematics, up to three columns) wider than the text column: a reader
# would have to scroll sideways to read a row (reading.css lets their code wrap). Four or more
# columns of whole words may not fit a phone; they scroll in their box (CLIPPED_JS).
WIDE_TEXT_TABLE_JS = """() => Array.from(document.querySelectorAll('article table'))
  .filter(t => !t.querySelector('mjx-container, span.math') && t.rows.length
    && t.rows[0].cells.length <= 3 && t.scrollWidth > t.clientWidth + 1)
  .map(t => `${t.scrollWidth} px in ${t.clientWidth} px: `
    + t.textContent.trim().replace(/\\s+/g, ' ').slice(0, 50))"""

# A page wider than the window (a phone reader would have to pan the whole page sideways): the
# elements that stick out of it, outside any box that scrolls or clips its own content.
PAGE_WIDER_JS = """() => {
  const root = document.documentElement, limit = root.clientWidth;
  if (root.scrollWidth <= limit + 1) return [];
  const contained = el => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.children.length || el.getBoundingClientRect().right <= limit + 1) continue;
    let box = el.parentElement, inside = false;
    for (; box && box !== document.body; box = box.parentElement)
      if (contained(box)) { inside = true; break; }
    if (!inside) found.push(el.tagName.toLowerCase() + ': ' + el.textContent.trim().slice(0, 50));
  }
  return found.length ? found.slice(0, 5) : [`the page is ${root.scrollWidth} px wide`];
}"""

# Images whose alt text is missing or is the file's name.
BAD_ALT_JS = """() => Array.from(document.querySelectorAll('article img')).filter(img => {
  const alt = (img.getAttribute('alt') || '').trim();
  const file = decodeURIComponent(img.src.split('/').pop().split('?')[0]);
  return !alt || alt === file || /\\.(png|svg|jpe?g|gif)$/i.test(alt) || file.startsWith(alt);
}).map(img => img.src.split('/').pop())"""


def toc_pages(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """The root and every chapter of the toc, as paths without suffix."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    return [toc["root"]] + [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "Debian's chromium is not installed: run `make site-test` (it installs it) "
        "or `apt-get install chromium`"
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _existing_target(html_root: Path, base: str, href: str) -> bool | None:
    """Whether a same-site link points at a file of the site; None for links elsewhere."""
    url = urlparse(urljoin(base, href))
    if url.scheme not in ("http", "https") or url.netloc != urlparse(base).netloc:
        return None
    path = html_root / unquote(url.path).lstrip("/")
    return path.is_file() or (path / "index.html").is_file()


def check_page(page, base: str, html_root: Path, name: str, repo: str) -> list[str]:
    """Every problem a reader would meet on one page."""
    problems: list[str] = []
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    page.on("response", lambda r: console.append(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: console.append(f"request failed: {r.url} ({r.failure})"))
    url = urljoin(base, f"{name}.html")
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200:
        return [f"{name}: HTTP {None if response is None else response.status}"]

    has_math = page.evaluate("document.querySelectorAll('.math, div.math, span.math').length") > 0
    if has_math:
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("MathJax.startup.promise")
        rendered = page.evaluate("document.querySelectorAll('mjx-container').length")
        if rendered == 0:
            problems.append(f"{name}: the page has mathematics but MathJax rendered none of it")

    broken_images = page.evaluate(
        "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    problems += [f"{name}: image did not load: {src}" for src in broken_images]

    hrefs = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
    for href in sorted(set(hrefs)):
        if href.startswith(("#", "mailto:", "javascript:")):
            continue
        if _existing_target(html_root, url, href) is False:
            problems.append(f"{name}: link to a page that does not exist: {href}")

    if name.removeprefix("zh/").startswith("notebooks/"):
        stem = name.rsplit("/", 1)[1]
        owner_repo = repo.removeprefix("https://github.com/")
        wanted = f"{COLAB}{owner_repo}/blob/{repository_ref()}/notebooks/{stem}.ipynb"
        colab = [h for h in hrefs if h.startswith(COLAB)]
        if colab != [wanted]:
            problems.append(f"{name}: expected exactly the Colab link {wanted}, found {colab}")
        if not (ROOT / "notebooks" / f"{stem}.ipynb").is_file():
            problems.append(f"{name}: the Colab link names notebooks/{stem}.ipynb, not in the repository")

    problems += [f"{name}: console error: {text}" for text in console]
    return problems


def _ready(page) -> None:
    """Wait for MathJax, where a page has it, so that measurements see rendered equations."""
    page.evaluate("window.MathJax && MathJax.startup ? MathJax.startup.promise : null")


def navigation_problems(page, base: str, width: str) -> list[str]:
    """Open the chapter list with the visible menu button, then follow a chapter link in it."""
    page.goto(urljoin(base, f"{NAV_PAGE}.html"), wait_until="load")
    buttons = page.locator(".primary-toggle:visible")
    if buttons.count() == 0:
        return [f"{width}: no visible menu button on {NAV_PAGE}"]
    link = page.locator(f'.bd-sidebar-primary a[href$="{NAV_TARGET.split("/")[-1]}.html"]')
    if width == "phone" and link.first.is_visible():
        return [f"{width}: the chapter list is open before the menu button is pressed"]
    if width == "desktop":
        return [] if link.first.is_visible() else [f"{width}: the chapter list is not shown"]
    buttons.first.click()
    page.wait_for_timeout(500)
    if not link.first.is_visible():
        return [f"{width}: the menu button did not open the chapter list on {NAV_PAGE}"]
    link.first.click()
    page.wait_for_load_state("load")
    if not page.url.split("#")[0].endswith(f"{NAV_TARGET}.html"):
        return [f"{width}: following {NAV_TARGET} from the chapter list opened {page.url}"]
    return []


def desktop_toggle_problems(page, base: str) -> list[str]:
    """On a desktop the menu button hides the chapter list and brings it back."""
    page.goto(urljoin(base, f"{NAV_PAGE}.html"), wait_until="load")
    sidebar = page.locator(".bd-sidebar-primary")
    button = page.locator(".primary-toggle:visible").first
    button.click()
    page.wait_for_timeout(500)
    hidden = not sidebar.is_visible() or sidebar.bounding_box()["width"] < 5
    searches = page.locator(".search-button-field:visible, .bd-search:visible").count()
    problems = [] if hidden else ["desktop: the menu button does not hide the chapter list"]
    return problems + ([f"desktop: {searches} search boxes are visible"] if searches > 1 else [])


def reader_problems(page, base: str, name: str, width: str) -> list[str]:
    """What a reader meets on one page at one width: wrapped code, hidden columns, bad alt text."""
    page.goto(urljoin(base, f"{name}.html"), wait_until="load")
    _ready(page)
    where = f"{name} ({width})"
    found = [f"{where}: a code or output line wraps: {line!r}" for line in page.evaluate(WRAPPED_CODE_JS)]
    found += [f"{where}: cut off without a horizontal scroll: {what!r}" for what in page.evaluate(CLIPPED_JS)]
    found += [f"{where}: a table of text wider than the page, read only by scrolling: {what!r}"
              for what in page.evaluate(WIDE_TEXT_TABLE_JS)]
    found += [f"{where}: wider than the window, the whole page pans sideways: {what!r}"
              for what in page.evaluate(PAGE_WIDER_JS)]
    if width == "desktop":
        found += [f"{where}: image without alt text (or with its file name): {src}"
                  for src in page.evaluate(BAD_ALT_JS)]
        text = page.locator("article").inner_text()
        found += [f"{where}: text meant for maintainers: {m.group(0)!r}"
                  for m in re.finditer(f"(?m)({MAINTAINER_TEXT}).*$", text)]
    return found


def dark_mode_problems(context, base: str, screenshots: Path) -> list[str]:
    """In dark mode figures are inverted to read on the dark page, not dimmed white boxes."""
    page = context.new_page()
    page.add_init_script("localStorage.setItem('theme', 'dark'); localStorage.setItem('mode', 'dark');")
    page.goto(urljoin(base, f"{SCREENSHOTS['chapter03']}.html"), wait_until="load")
    _ready(page)
    page.screenshot(path=str(screenshots / "chapter03-dark.png"), full_page=True)
    theme = page.evaluate("document.documentElement.dataset.theme")
    filters = page.evaluate(
        "Array.from(document.querySelectorAll('article img')).map(i => getComputedStyle(i).filter)"
    )
    page.close()
    if theme != "dark":
        return [f"dark mode: the page did not switch to dark (data-theme={theme!r})"]
    return [f"dark mode: a figure is shown with filter {f!r}, not inverted"
            for f in filters if "invert" not in f]


CJK_SHARE_JS = """() => { const t = Array.from(document.querySelectorAll('article p'))
  .map(p => p.innerText).join('')
  .replace(/[\\s\\d\\p{P}\\p{S}]/gu, '');
  const cjk = (t.match(/[\\u3400-\\u9fff]/g) || []).length; return cjk / Math.max(1, t.length); }"""


def chinese_problems(page, base: str, screenshots: Path) -> list[str]:
    """The Chinese edition as its readers meet it: language, font, language links, search."""
    found = []
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    if "Noto Sans CJK SC" not in fonts:
        found.append("zh: the system has no Noto Sans CJK SC font (make chromium installs fonts-noto-cjk)")
    name = "notebooks/03_scalar_gates"
    page.goto(urljoin(base, f"zh/{name}.html"), wait_until="load")
    _ready(page)
    if page.evaluate("document.documentElement.lang") != "zh-CN":
        found.append(f"zh/{name}: the page is not marked lang=zh-CN")
    share = page.evaluate(CJK_SHARE_JS)
    if share < 0.3:
        found.append(f"zh/{name}: only {share:.0%} of the text's letters are Chinese")
    family = page.evaluate("getComputedStyle(document.querySelector('article p')).fontFamily")
    if not family.startswith('"Noto Sans CJK SC"'):
        found.append(f"zh/{name}: the text's font stack does not start with a CJK font: {family}")
    captions = page.evaluate("Array.from(document.querySelectorAll('.bd-sidebar-primary .caption-text'))"
                             ".map(c => c.textContent)")
    english = [c for c in captions if not re.search(r"[\u3400-\u9fff]", c)]
    if not captions or english:
        found.append(f"zh/{name}: chapter-list captions not in Chinese: {english or 'none found'}")
    page.screenshot(path=str(screenshots / "zh-chapter03.png"), full_page=False)
    page.locator('p.lang-switch a[hreflang="en"]').click()
    page.wait_for_load_state("load")
    if not page.url.endswith(f"/{name}.html") or "/zh/" in page.url:
        found.append(f"zh/{name}: the English link opened {page.url}")
    page.locator('p.lang-switch a[hreflang="zh-CN"]').click()
    page.wait_for_load_state("load")
    if not page.url.endswith(f"/zh/{name}.html"):
        found.append(f"{name}: the Chinese link opened {page.url}")
    page.goto(urljoin(base, "zh/search.html?q=遗忘门"), wait_until="load")
    try:
        page.wait_for_selector("ul.search li a", timeout=20000)
        hits = page.evaluate("Array.from(document.querySelectorAll('ul.search li a')).map(a => a.href)")
    except Exception:  # noqa: BLE001 - Playwright's timeout: no result came
        hits = []
    if not any("/zh/notebooks/03_scalar_gates" in h for h in hits):
        found.append(f"zh: a search for 遗忘门 did not find chapter 3 (results: {hits[:5]})")
    return found


def run(html_root: Path, screenshots: Path) -> list[str]:
    from playwright.sync_api import sync_playwright

    if not (html_root / "index.html").is_file():
        return [f"{html_root} has no index.html: build the site first (`make book`)"]
    repo = repository_url()
    server, base = serve(html_root)
    problems: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            pages = toc_pages()
            if (html_root / "zh" / "index.html").is_file():
                pages += [f"zh/{name}" for name in pages]
            else:
                problems.append("the Chinese edition was not built (_build/html/zh): make book")
            for name in pages:
                page = context.new_page()
                found = check_page(page, base, html_root, name, repo)
                if name.startswith("notebooks/"):  # the quiz answers a click (the same in zh/)
                    quiz_page = context.new_page()
                    found += [f"{name}: {p}" for p in check_quiz(quiz_page, urljoin(base, f"{name}.html"))]
                    quiz_page.close()
                problems += found
                print(f"{'ok  ' if not found else 'FAIL'} {name}")
                page.close()
            screenshots.mkdir(parents=True, exist_ok=True)
            for width, pixels in WIDTHS.items():
                sized = browser.new_context(viewport={"width": pixels, "height": 860})
                page = sized.new_page()
                problems += navigation_problems(page, base, width)
                problems += [f"zh: {p}" for p in navigation_problems(page, urljoin(base, "zh/"), width)]
                if width == "desktop":
                    problems += desktop_toggle_problems(page, base)
                    problems += chinese_problems(page, base, screenshots)
                # Layout is the same in both editions: the Chinese one is read at both widths on
                # the screenshot pages (longer lines of CJK text, the language link), not all.
                zh_sample = [f"zh/{name}" for name in SCREENSHOTS.values()]
                for name in [n for n in pages if not n.startswith("zh/")] + zh_sample:
                    problems += reader_problems(page, base, name, width)
                for label, name in SCREENSHOTS.items():
                    for prefix in ("", "zh/"):
                        page.goto(urljoin(base, f"{prefix}{name}.html"), wait_until="load")
                        _ready(page)
                        shot = f"{'zh-' if prefix else ''}{label}-{width}.png"
                        page.screenshot(path=str(screenshots / shot), full_page=True)
                if width == "phone":
                    problems += dark_mode_problems(sized, base, screenshots)
                sized.close()
                print(f"reader checks at {pixels} px done")
            browser.close()
    finally:
        server.shutdown()
    print(f"site test: {len(pages)} pages checked; screenshots in {screenshots}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "_build" / "screenshots")
    args = parser.parse_args(argv)
    problems = run(args.html, args.screenshots)
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
