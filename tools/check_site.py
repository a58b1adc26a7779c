"""Check the built site: every notebook in the toc has a page with its "open in Colab" link, in
both editions (English at the root, Chinese under zh/), and every page links to itself in the
other edition.

    python tools/check_site.py        # after `jupyter-book build .`
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.notebooks import repository_url  # noqa: E402


def problems(html_dir: Path = ROOT / "_build" / "html") -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    org_repo = repository_url().removeprefix("https://github.com/")
    found = []
    for file in files:
        if not (ROOT / f"{file}.ipynb").exists():
            continue
        page = html_dir / f"{file}.html"
        if not page.exists():
            found.append(f"{file}: no page at {page.relative_to(ROOT)}")
            continue
        expected = f"https://colab.research.google.com/github/{org_repo}/blob/main/{file}.ipynb"
        links = set(re.findall(r"https://colab\.research\.google\.com/github/[^\"'<> ]+", page.read_text()))
        if links != {expected}:
            found.append(f"{file}: expected the Colab link {expected}, found {sorted(links) or 'none'}")
    return found


def edition_problems(html_dir: Path = ROOT / "_build" / "html") -> list[str]:
    """Each toc page exists in both editions and its language link opens the other one."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    found = []
    for file in files:
        for page, lang in ((html_dir / f"{file}.html", "zh-CN"), (html_dir / "zh" / f"{file}.html", "en")):
            if not page.exists():
                found.append(f"{file}: no page at {page.relative_to(html_dir)}")
                continue
            switch = rf'<p class="lang-switch"[^>]*>.*?<a href="([^"]+)" hreflang="{lang}"'
            link = re.search(switch, page.read_text())
            if not link:
                found.append(f"{page.relative_to(html_dir)}: no link to the {lang} edition")
            elif not (page.parent / link[1]).resolve().exists():
                found.append(f"{page.relative_to(html_dir)}: its {lang} link {link[1]} leads nowhere")
    return found


if __name__ == "__main__":
    issues = problems() + problems(ROOT / "_build" / "html" / "zh") + edition_problems()
    for issue in issues:
        print(issue)
    print("site check:", "FAILED" if issues else "every notebook page has its Colab link, in both editions")
    sys.exit(1 if issues else 0)
