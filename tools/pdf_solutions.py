"""Sphinx extension for the PDF: exercise solutions move to the end of their chapter.

On the site a solution is a ``<details>`` block that opens on a click; LaTeX drops the HTML and
would print each solution right under its exercise. For the ``latex`` builder only, every
``<details><summary>Solution</summary> ... </details>`` group becomes a "Solution to Exercise N"
entry in a "Solutions to the exercises" section at the end of the chapter, and the exercise says
where to find it.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

SECTION_TITLE = "Solutions to the exercises"


def _is_raw(node: nodes.Node, needle: str) -> bool:
    return isinstance(node, nodes.raw) and "html" in node.get("format", "") and needle in node.astext()


def _exercise_label(siblings: list[nodes.Node]) -> str:
    """The nearest "Exercise 3.1" before the solution (a paragraph starting with it)."""
    for node in reversed(siblings):
        match = re.match(r"\s*(Exercise\s+[\w.]+)", node.astext())
        if match and isinstance(node, nodes.paragraph):
            return match.group(1)
    return "the exercise above"


def _take_solution(opening: nodes.raw) -> tuple[str, list[nodes.Node]] | None:
    """Remove one solution block from its parent; its label and body, or None if it is not closed."""
    parent = opening.parent
    start = parent.index(opening)
    body: list[nodes.Node] = []
    for sibling in parent.children[start + 1:]:
        if _is_raw(sibling, "</details>"):
            label = _exercise_label(parent.children[:start])
            for node in [*body, sibling]:
                parent.remove(node)
            pointer = nodes.paragraph("", "", nodes.emphasis(text=f"Solution: see {SECTION_TITLE.lower()}, "
                                                                  "at the end of this chapter."))
            parent.replace(opening, pointer)
            return label, body
        body.append(sibling)
    return None


def move_solutions(app: Sphinx, doctree: nodes.document) -> None:
    """For LaTeX: gather the chapter's solutions into a section at its end."""
    if app.builder.name != "latex":
        return
    openings = [n for n in doctree.findall(nodes.raw) if _is_raw(n, "<summary>") and "Solution" in n.astext()]
    solutions = [found for found in map(_take_solution, openings) if found]
    chapter = next(iter(doctree.findall(nodes.section)), None)
    if not solutions or chapter is None:
        return
    section_id = nodes.make_id(f"{app.env.docname}-solutions")
    section = nodes.section("", nodes.title(text=SECTION_TITLE), ids=[section_id], names=[section_id])
    for label, body in solutions:
        section += nodes.rubric(text=f"Solution to {label}")
        section.extend(body)
    chapter += section


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", move_solutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
