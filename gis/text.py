"""Characters a one-line text must not hold, and how a terminal is shown such text.

A registry's text values (a permit number, an issuing body, a place's description) are one
line each: the editor gives them one-line inputs, and lists print them one row per object. A
line break or a tab in one writes rows of its own into a tab-separated listing (a forged
"delete" row in ``gis verify list``); a text-direction control makes a number read otherwise
than it is stored, and a zero-width look-alike of a unique number is another number.
``registries.rules`` refuses them in the database (every write path), with ``UNSAFE_PATTERN``;
:func:`printable` shows what older data or a free-text note holds without obeying it.
"""

from __future__ import annotations

import re
import unicodedata

# right-to-left/left-to-right embeddings, overrides and isolates: they can make a text read
# differently from what it holds (a spoofed file name or document number)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# the same as a PostgreSQL regular expression (ARE) bracket: C0 controls (tab and line breaks
# too), DEL, C1 controls, and the text-direction controls above. NUL never reaches a text.
UNSAFE_PATTERN = r"[\x01-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
UNSAFE = re.compile(UNSAFE_PATTERN)  # Python reads the same bracket alike


def first_unsafe(text: str) -> str | None:
    r"""Return what the first control or text-direction character of ``text`` is and where
    (1-based), as a message says it, or None when it holds none.

    >>> first_unsafe("Виконком\n999")
    'a control character (U+000A) at position 9'
    >>> first_unsafe("a\u202eb"), first_unsafe("ґанок")
    ('a text-direction control (U+202E) at position 2', None)
    """
    m = UNSAFE.search(text)
    if m is None:
        return None
    ch = m.group()
    kind = "a text-direction control" if ch in BIDI_CONTROLS else "a control character"
    return f"{kind} (U+{ord(ch):04X}) at position {m.start() + 1}"


def unsafe(ch: str) -> bool:
    """Return whether ``ch`` is a control character or a text-direction control.

    >>> unsafe("\\n"), unsafe("\\u202e"), unsafe("ї"), unsafe("'")
    (True, True, False, False)
    """
    return unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS


def printable(text: str) -> str:
    r"""Return ``text`` with every control and text-direction character written as an escape,
    so that it shows as one field of one line in a terminal listing, as it is.

    >>> printable("ХМ-0001\n999\tdelete"), printable("ab\u202ecd")
    ('ХМ-0001\\n999\\tdelete', 'ab\\u202ecd')
    """
    if not any(unsafe(ch) for ch in text):
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if unsafe(ch) else ch
                   for ch in text)
