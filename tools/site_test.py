"""Open every page of the built site in a real headless Chromium and check it as a reader would.

    python tools/site_test.py [--html _build/html] [--screenshots _build/screenshots]

Serves the built site on a loopback port and drives Debian's ``chromium`` (never a downloaded
browser) with Playwright. For every page in ``_toc.yml`` it checks: HTTP 200; no console
errors; every ``<img>`` loaded (``naturalWidth > 0``); rendered MathJax on pages with math; no
link to a page that does not exist; on notebook pages, a Colab link
``https://colab.research.google.com/github/<org>/<repo>/blob/main/notebooks/<name>.ipynb`` that
names a notebook in the repository. Then it saves full-page screenshots of the landing page,
chapter 5 and chapter 12.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.notebooks import repository_url  # noqa: E402

SCREENSHOTS = {
    "landing": "book/intro",
    "chapter03": "notebooks/03_scalar_gates",
    "chapter05": "notebooks/05_vectorized_cell",
    "chapter09": "notebooks/09_variable_length",
    "chapter12": "notebooks/12_imdb_glove_bilstm",
}
COLAB = "https://colab.research.google.com/github/"


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

    if name.startswith("notebooks/"):
        stem = name.split("/", 1)[1]
        owner_repo = repo.removeprefix("https://github.com/")
        wanted = f"{COLAB}{owner_repo}/blob/main/notebooks/{stem}.ipynb"
        colab = [h for h in hrefs if h.startswith(COLAB)]
        if colab != [wanted]:
            problems.append(f"{name}: expected exactly the Colab link {wanted}, found {colab}")
        if not (ROOT / "notebooks" / f"{stem}.ipynb").is_file():
            problems.append(f"{name}: the Colab link names notebooks/{stem}.ipynb, not in the repository")

    problems += [f"{name}: console error: {text}" for text in console]
    return problems


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
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            pages = toc_pages()
            for name in pages:
                page = context.new_page()
                found = check_page(page, base, html_root, name, repo)
                problems += found
                print(f"{'ok  ' if not found else 'FAIL'} {name}")
                page.close()
            screenshots.mkdir(parents=True, exist_ok=True)
            for label, name in SCREENSHOTS.items():
                page = context.new_page()
                page.goto(urljoin(base, f"{name}.html"), wait_until="load")
                page.evaluate("window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
                page.screenshot(path=str(screenshots / f"{label}.png"), full_page=True)
                page.close()
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
