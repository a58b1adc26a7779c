"""Check a page's self-check quiz in headless Chromium: it renders, answers give feedback, offline.

    python tools/site_quiz_check.py PAGE.html [PAGE.html ...]

Each page is served on a loopback port from the nearest folder above it that holds ``_static``
(the root of a built book), or else from its own folder. For each page: every request that
leaves the page's own origin (or, for a ``file://`` page, that is not a local file) is blocked
and reported; the quiz (rendered by jupyterquiz from the
notebook's stored output) must show its questions; clicking a wrong answer of the first
multiple-choice question must show that answer's feedback, marked incorrect, and clicking the
right one its feedback, marked correct; a numeric question must accept its correct value; and the
page must log no console errors. ``tools/site_test.py`` can call :func:`check_quiz` on a built
chapter page with the page object it already has.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
LOCAL_SCHEMES = ("data", "blob", "about")
TIMEOUT_MS = 15000

# The first multiple-choice question: its feedback element and its answers (labels).
_FIRST_CHOICE = """() => {
  const box = document.querySelector('.MultipleChoiceQn, .ManyChoiceQn');
  if (!box) return null;
  const wrap = box.closest('.Quiz');
  const labels = Array.from(wrap.querySelectorAll('label.MCButton'));
  return {wrap: wrap.id, answers: labels.map(l => ({id: l.id, correct: l.dataset.correct === 'true',
                                                   feedback: l.dataset.feedback || ''}))};
}"""
_FEEDBACK = """([wrap, html]) => {
  const fb = document.getElementById(wrap).querySelector('.Feedback');
  const want = document.createElement('div');
  want.innerHTML = html;
  return {text: fb.textContent.trim(), want: want.textContent.trim(), shown: fb.style.display !== 'none',
          correct: fb.classList.contains('correct'), incorrect: fb.classList.contains('incorrect')};
}"""
_FIRST_NUMERIC = """() => {
  const input = document.querySelector('.Quiz input.Input-text');
  if (!input) return null;
  const right = JSON.parse(input.dataset.answers).find(a => a.correct === true);
  const value = 'value' in right ? right.value : (right.range[0] + right.range[1]) / 2;
  return {id: input.id, wrap: input.closest('.Quiz').id, value: String(value)};
}"""


def _is_external(request_url: str, page_url: str) -> bool:
    """Whether loading ``request_url`` from ``page_url`` needs anything but the page's own site."""
    request, page = urlparse(request_url), urlparse(page_url)
    if request.scheme in LOCAL_SCHEMES:
        return False
    if page.scheme == "file":
        return request.scheme != "file"
    return (request.scheme, request.netloc) != (page.scheme, page.netloc)


def block_external(page, page_url: str) -> list[str]:
    """Abort every request that leaves ``page_url``'s site; the returned list fills with their URLs."""
    blocked: list[str] = []

    def handle(route) -> None:
        if _is_external(route.request.url, page_url):
            blocked.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", handle)
    return blocked


def _check_choice(page, name: str) -> list[str]:
    """Click a wrong answer, then the right one, of the first multiple-choice question."""
    question = page.evaluate(_FIRST_CHOICE)
    if question is None:
        return [f"{name}: the quiz has no multiple-choice question to click"]
    wrong = [a for a in question["answers"] if not a["correct"]]
    right = [a for a in question["answers"] if a["correct"]]
    problems: list[str] = []
    for answer, verdict in ((next(iter(wrong), None), "incorrect"), (next(iter(right), None), "correct")):
        if answer is None:
            problems.append(f"{name}: the first question has no {verdict} answer to click")
            continue
        page.click(f"#{answer['id']}")
        shown = page.evaluate(_FEEDBACK, [question["wrap"], answer["feedback"]])
        if not (shown["shown"] and shown[verdict] and shown["text"] == shown["want"] and shown["text"]):
            problems.append(f"{name}: clicking an answer that is {verdict} showed {shown}, "
                            f"expected its feedback {shown['want']!r} marked {verdict}")
    return problems


def _check_numeric(page, name: str) -> list[str]:
    """Type the correct value into the first numeric question, if there is one, and press Enter."""
    question = page.evaluate(_FIRST_NUMERIC)
    if question is None:
        return []
    page.fill(f"#{question['id']}", question["value"])
    page.press(f"#{question['id']}", "Enter")
    shown = page.evaluate(_FEEDBACK, [question["wrap"], ""])
    if not (shown["shown"] and shown["correct"] and shown["text"]):
        return [f"{name}: typing the correct value {question['value']} showed {shown}"]
    return []


def check_quiz(page, url: str, timeout_ms: int = TIMEOUT_MS) -> list[str]:
    """Open ``url`` in ``page`` (a Playwright page), answer its quiz, return every problem found.

    Call it on a fresh page: it installs its own request blocking and console listeners.
    """
    name = url.rsplit("/", 1)[-1]
    blocked = block_external(page, url)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    try:
        page.wait_for_selector(".Quiz label.MCButton, .Quiz input.Input-text", timeout=timeout_ms)
    except Exception:  # Playwright's TimeoutError: report it with the others
        return [f"{name}: no quiz rendered within {timeout_ms / 1000:.0f} s"] + [
            f"{name}: console error: {e}" for e in errors]
    problems = _check_choice(page, name) + _check_numeric(page, name)
    page.wait_for_timeout(700)  # the quiz typesets its math half a second after rendering
    problems += [f"{name}: request to leave the site (blocked): {u}" for u in blocked]
    return problems + [f"{name}: console error: {e}" for e in errors]


def site_root(page: Path) -> Path:
    """The folder to serve ``page`` from: the nearest above it with ``_static``, else its own."""
    page = page.resolve()
    return next((folder for folder in page.parents if (folder / "_static").is_dir()), page.parent)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="+", type=Path, help="HTML files with a rendered quiz")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_MS / 1000,
                        help="seconds to wait for the quiz to appear")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from tools.site_test import chromium_path, serve

    missing = [str(p) for p in args.pages if not p.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)} (build the site first with `make book`)")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        for path in args.pages:
            root = site_root(path)
            server, base = serve(root)
            page = browser.new_page()
            url = base + path.resolve().relative_to(root).as_posix()
            found = check_quiz(page, url, int(args.timeout * 1000))
            print(f"{'ok  ' if not found else 'FAIL'} {path}")
            problems += found
            page.close()
            server.shutdown()
        browser.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
