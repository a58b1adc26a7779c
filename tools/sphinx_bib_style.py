"""One citation style on the whole site: the bibliography's labels read "Author, year", as the
citations in the text do (``bibtex_reference_style: author_year``), instead of pybtex's "[HS97]".

A local Sphinx extension (``_config.yml``: ``sphinx.local_extensions``) that registers a pybtex
formatting style, ``authoryear``: pybtex's ``plain`` style (entries sorted by author, then year)
with labels "Hochreiter & Schmidhuber, 1997", "Pascanu et al., 2013".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person: Any) -> str:
    """The last name as printed: "von Neumann" keeps its prefix; LaTeX braces are dropped."""
    parts = [*person.prelast_names, *person.last_names]
    return " ".join(parts).replace("{", "").replace("}", "")


def author_year_label(entry: Any) -> str:
    """``Surname, 1997``, ``A & B, 1997`` or ``A et al., 1997`` for a pybtex entry."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(person) for person in persons]
    if not names:
        who = entry.fields.get("organization") or entry.fields.get("title", "Anonymous")
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} & {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries: Iterable[Any]) -> Iterator[str]:
        seen: dict[str, int] = {}
        for entry in sorted_entries:
            label = author_year_label(entry)
            seen[label] = seen.get(label, 0) + 1
            # a second work with the same authors and year gets "2013b"
            yield label if seen[label] == 1 else f"{label}{chr(ord('a') + seen[label] - 1)}"


class AuthorYearStyle(PlainStyle):
    default_label_style = "authoryear"


register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabels)
register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app: Any) -> dict[str, Any]:
    return {"parallel_read_safe": True, "parallel_write_safe": True}
