"""A tiny Sphinx extension: include each script only once per page.

With Jupyter Book 1.x, sphinx-thebe's inline configuration (``const THEBE_JS_URL = ...``) and
MathJax's loader end up twice on every page, which makes the browser report "Identifier
'THEBE_JS_URL' has already been declared" and MathJax fail to start a second time. This keeps
the first copy of each (same file, or same inline body) and drops the rest.
"""

from __future__ import annotations

from typing import Any


def _key(script: Any) -> str:
    body = (getattr(script, "attributes", None) or {}).get("body")
    filename = getattr(script, "filename", None) or str(script)
    return f"body:{body}" if body else f"file:{filename.split('?', 1)[0]}"


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:  # noqa: ARG001
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[str] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", dedupe_scripts, priority=1000)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
