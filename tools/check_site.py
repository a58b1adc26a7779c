"""Check the built site: every notebook in the toc has a page with its "open in Colab" link.

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


if __name__ == "__main__":
    issues = problems()
    for issue in issues:
        print(issue)
    print("site check:", "FAILED" if issues else "every notebook page has its Colab link")
    sys.exit(1 if issues else 0)
