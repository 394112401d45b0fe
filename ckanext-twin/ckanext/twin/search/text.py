"""German folding applied to every text before PostgreSQL analyses it.

PostgreSQL's ``unaccent`` folds "ä" to "a", but German writers also spell it "ae"
("Muenchen"). Indexed text is folded to the digraph form and, for words that had an
umlaut, the plain-vowel form is added as well, so "München", "Muenchen" and "Munchen" all
find each other; queries are folded to the digraph form only.
"""
from __future__ import annotations

import re

_DIGRAPHS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe",
                           "Ü": "Ue", "ß": "ss", "ẞ": "SS"})
_PLAIN = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U",
                        "ß": "ss", "ẞ": "SS"})
_UMLAUT_WORD = re.compile(r"\w*[äöüÄÖÜßẞ]\w*")


def fold_query(text: str) -> str:
    """Fold a query term the way indexed text is folded."""
    return text.translate(_DIGRAPHS)


def fold_document(text: str) -> str:
    """Fold indexed text, keeping a plain-vowel variant of every umlaut word."""
    variants = [word.translate(_PLAIN) for word in _UMLAUT_WORD.findall(text)]
    folded = text.translate(_DIGRAPHS)
    return folded + (" " + " ".join(variants) if variants else "")
