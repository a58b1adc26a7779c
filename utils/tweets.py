"""Cleaning the tweets of Part IV: the damaged encoding repaired, links and users as placeholders,
and the topic each tweet was collected for.

The corpus's CSV is not valid UTF-8. Its non-ASCII characters went through two to five rounds of
a classic confusion: UTF-8 bytes read as Mac Roman text and written back as Windows-1252 (or the
reverse), so that a curly apostrophe ``’`` (bytes ``E2 80 99``) reached the file as ``äó»`` or
``‰Ûª``. Each round is a byte-to-byte mapping, so most of it can be undone:
:func:`repair_mojibake` undoes one round at a time until the bytes are valid UTF-8 again and
decode to plausible characters (punctuation, symbols, emoji, accented Latin letters). Some
bytes were lost on the way (those Windows-1252 does not define, and emoji's first byte), and
some runs cannot be brought back; those fragments are removed, and :func:`repair_mojibake`
reports how many.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from utils.checks import check_text

URL_TOKEN = "<url>"
USER_TOKEN = "<user>"
PLACEHOLDERS = (URL_TOKEN, USER_TOKEN)

_RUN = re.compile(rb"_?[\x80-\xff][\x80-\xff_]*")
_UNDEFINED_1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")  # bytes Windows-1252 leaves undefined
_MAX_ROUNDS = 5
_ELLIPSIS_PREFIX = b"\xe2\x80"  # "…" is E2 80 A6; its last byte often became "_"
# Latin-1's letters and the signs of Spanish and French text: "café", "¿Qué?", "«oui»"
_LATIN_1_LETTERS = frozenset(chr(code) for code in range(0xC0, 0x100) if chr(code).isalpha()) | set("¿¡«»ºª")
_LATIN_1_SIGNS = frozenset(chr(code) for code in range(0xA0, 0x100)) - _LATIN_1_LETTERS  # ° £ © ± ½ ...


def _byte_options(char: str) -> list[bytes]:
    """The bytes one character may have been before a Mac Roman reading: its Windows-1252 byte
    (Latin-1 for the five bytes Windows-1252 leaves undefined), or the Mac Roman byte itself
    when that byte is one of the five."""
    options = []
    try:
        options.append(char.encode("cp1252"))
    except UnicodeEncodeError:
        if ord(char) < 256:
            options.append(bytes([ord(char)]))
    mac = char.encode("mac_roman")
    if mac[0] in _UNDEFINED_1252 and mac not in options:
        options.append(mac)
    return options


def _undo_round(data: bytes) -> list[bytes]:
    """Every byte string that one round of the confusion could have turned into ``data``."""
    options = [_byte_options(char) for char in data.decode("mac_roman")]
    if any(not option for option in options):
        return []
    if sum(len(option) > 1 for option in options) > 4:  # keep the search small
        options = [option[:1] for option in options]
    return [b"".join(choice) for choice in itertools.product(*options)]


def _plausible(text: str) -> bool:
    """Characters an English tweet plausibly contained: Latin-1 letters and signs, general
    punctuation, currency, arrows and symbols, emoji (with their joiners and selectors)."""
    for char in text:
        code = ord(char)
        if not (
            0xA0 <= code <= 0xFF
            or 0x2010 <= code <= 0x2BFF
            or 0x1F000 <= code <= 0x1FAFF
            or code in (0x152, 0x153, 0x178, 0x192, 0x2C6, 0x2DC, 0xFE0F, 0x200D)
        ):
            return False
    return bool(text)


def _as_utf8(data: bytes) -> str | None:
    """``data`` as plausible UTF-8, an emoji whose lost first byte (F0) is put back, or None."""
    candidates = [data]
    if len(data) == 3 and data[0] == 0x9F:  # F0 9F xx xx with the F0 lost: an emoji
        candidates.append(b"\xf0" + data)
    for candidate in candidates:
        try:
            text = candidate.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if _plausible(text):
            return text
    return None


@functools.cache
def _repair_piece(piece: bytes) -> str | None:
    """Undo up to five rounds of the confusion on one run of non-ASCII bytes; None if no
    number of rounds gives plausible UTF-8. ``E2 80`` alone (an ellipsis whose last byte was
    lost) comes back as "…" when the caller saw the "_" that replaced that byte."""
    frontier = [piece]
    seen = {piece}
    for _ in range(_MAX_ROUNDS + 1):
        for data in frontier:
            text = _as_utf8(data)
            if text is not None:
                return text
        following = []
        for data in frontier:
            for earlier in _undo_round(data):
                if earlier == _ELLIPSIS_PREFIX:
                    return "\u2026"
                if earlier not in seen:
                    seen.add(earlier)
                    following.append(earlier)
        frontier = following[:64]
        if not frontier:
            return None
    return None


class Repair(NamedTuple):
    text: str
    repaired: int  # damaged runs brought back to their characters
    removed: int  # runs that could not be, removed


def repair_mojibake(text: str) -> Repair:
    """Repair a tweet as read from the corpus's CSV with ``encoding="latin-1"``.

    A text whose non-ASCII characters are all Latin-1 letters or single Latin-1 signs, none of
    which comes back as a repaired character (``"café à Paris"``, ``"30° today, £5"``), is taken
    as decoded already and returned as it is: removing them as damage would delete every accent
    and sign of a text read correctly. (No tweet of the corpus has that form.) A letter next to
    ``_`` still counts as damage, since the corpus marks a lost byte with ``_``.

    >>> repair_mojibake("can\\x8a\\x97\\xc8t wait").text
    'can’t wait'
    >>> repair_mojibake("naïve café")
    Repair(text='naïve café', repaired=0, removed=0)
    """
    try:
        data = check_text(text, "the tweet").encode("latin-1")  # the exact bytes of the file
    except UnicodeEncodeError as error:
        raise ValueError(
            f"repair_mojibake expects a tweet as the CSV reads with encoding='latin-1'; this text "
            f"has {text[error.start]!r}, so it is decoded already: to clean a new tweet, use "
            "placeholders(text) (links and users); load_tweets() gives the corpus's clean text"
        ) from None
    repaired = removed = 0
    out: list[str] = []
    position = 0
    for match in _RUN.finditer(data):
        out.append(data[position:match.start()].decode("ascii"))
        position = match.end()
        run = match.group()
        for piece, underscore in _pieces(run):
            fixed = _repair_piece(piece)
            if fixed == "\u2026" and not underscore:
                fixed = None  # "E2 80" without its "_" is a quote mark of unknown kind
            if fixed is None:
                removed += 1
                out.append(" ")
            else:
                repaired += 1
                out.append(fixed)
    out.append(data[position:].decode("ascii"))
    if not repaired and removed and _decoded_already(text):
        return Repair(text, 0, 0)
    text = "".join(out)
    return Repair(re.sub(" {2,}", " ", text) if removed else text, repaired, removed)


def _decoded_already(text: str) -> bool:
    """Every run of non-ASCII characters in ``text`` is Latin-1 letters (or ¿¡«»ºª) or one Latin-1
    sign alone (°, £, ©: damage leaves signs in runs, such as "Û±"), and none sits next to an
    ``_``, the mark of a byte the corpus's damage lost."""
    for match in re.finditer(r"[^\x00-\x7f]+", text):
        run, around = match.group(), text[max(match.start() - 1, 0) : match.end() + 1]
        if not (set(run) <= _LATIN_1_LETTERS or run in _LATIN_1_SIGNS) or "_" in around:
            return False
    return True


def _pieces(run: bytes) -> Iterable[tuple[bytes, bool]]:
    """The non-ASCII pieces of one run, each with whether an "_" (a lost byte) followed it."""
    for match in re.finditer(rb"([\x80-\xff]+)(_?)", run):
        yield match.group(1), bool(match.group(2))


_URL = re.compile(r"\bhttps?(?::\S*|\u2026|\b)|www\.\S+", re.IGNORECASE)  # cut-short links too
_USER = re.compile(r"@\w+")


def placeholders(text: str) -> str:
    """Every link becomes ``<url>`` and every @user ``<user>``: a model cannot learn from
    t.co codes or user names it will not see again, and the words around them matter more.

    >>> placeholders("@united thanks! http://t.co/AbC1")
    '<user> thanks! <url>'
    """
    return _USER.sub(USER_TOKEN, _URL.sub(URL_TOKEN, check_text(text, "the tweet")))


def clean_tweet(text: str) -> str:
    """The text the models read: encoding repaired (:func:`repair_mojibake`), HTML entities
    decoded (``&amp;`` -> ``&``), NFC, curly apostrophes made straight, links and users as
    placeholders, spacing collapsed."""
    repaired = unicodedata.normalize("NFC", html.unescape(repair_mojibake(text).text))
    repaired = repaired.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(placeholders(repaired).split())


# The topics the corpus's collections were gathered for, found by keywords (first match wins).
TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("airlines", re.compile(
        r"@(united|americanair|usairways|southwestair|jetblue|virginamerica|delta\w*)\b"
        r"|\b(flights?|airlines?|pilots?|luggage|baggage)\b")),
    ("deflategate", re.compile(r"deflate|patriots|\bpats\b|\bbrady\b|footballs|cheatriots")),
    ("coachella", re.compile(r"coachella")),
    ("self-driving cars", re.compile(
        r"driverless|self[- ]?driving|autonomous|google(\s|-)?car|robot(ic)?\s?cars?")),
    ("apple", re.compile(r"\bapple\b|\biphone|\bipad|\bmacbook|\bitunes|#aapl|\bios\s?\d")),
)
OTHER_TOPIC = "other"
TOPIC_NAMES = tuple(name for name, _ in TOPICS) + (OTHER_TOPIC,)


def tweet_topic(text: str) -> str:
    """The topic of a tweet by the first keyword rule of :data:`TOPICS` that matches its
    lowercased text (read before the placeholders: airline handles name their topic), else
    ``"other"``.

    >>> tweet_topic("@united lost my bag"), tweet_topic("Tom Brady and the footballs")
    ('airlines', 'deflategate')
    """
    lowered = check_text(text, "the tweet").lower()
    for name, pattern in TOPICS:
        if pattern.search(lowered):
            return name
    return OTHER_TOPIC


class NearDuplicate(NamedTuple):
    row: int  # in the texts checked
    neighbour: int  # in the reference texts
    cosine: float


def near_duplicates(
    reference: list[str], texts: list[str], *, threshold: float = 0.95
) -> list[NearDuplicate]:
    """Each text of ``texts`` whose nearest ``reference`` text has a word TF-IDF cosine of at
    least ``threshold``. A check independent of :func:`utils.data.tweet_key`: it compares word
    counts, not one normalised string, so it also finds copies the key misses (an extra word,
    a different quote mark, an appended hashtag)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise ValueError(f"expected threshold as a number in (0, 1], got {threshold!r}")
    for name, column in (("reference", reference), ("texts", texts)):
        if isinstance(column, str) or not isinstance(column, Sequence):
            raise TypeError(f"expected {name} as a list of texts, got {type(column).__name__}: wrap "
                            "it in list(...)")
        for text in column:
            check_text(text, f"each of {name}")
    if not reference or not texts:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        vectorizer = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b").fit(reference)
    except ValueError as error:  # "empty vocabulary"
        raise ValueError(f"the reference texts hold no words (only punctuation or symbols?): {error}; "
                         "near_duplicates compares words") from None
    ref = vectorizer.transform(reference)
    found = []
    for start in range(0, len(texts), 512):  # bounded memory: 512 rows of similarities at a time
        block = vectorizer.transform(texts[start:start + 512]) @ ref.T
        best = block.argmax(axis=1).A1
        cosines = block.max(axis=1).toarray().ravel()
        for row, (neighbour, cosine) in enumerate(zip(best, cosines, strict=True)):
            if cosine >= threshold - 1e-9:
                found.append(NearDuplicate(start + row, int(neighbour), float(cosine)))
    return found
