"""German folding applied to every text before PostgreSQL analyses it.

PostgreSQL's ``unaccent`` folds "ä" to "a", but German writers also spell it "ae"
("Muenchen"). Indexed text is folded to the digraph form and, for words that had an
umlaut, the plain-vowel form is added as well, so "München", "Muenchen" and "Munchen" all
find each other; queries are folded to the digraph form only.
"""
from __future__ import annotations

import re

_DIGRAPHS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss",
            "ẞ": "SS"}
_PLAIN = {"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U", "ß": "ss", "ẞ": "SS"}
_DIGRAPH_TABLE = str.maketrans(_DIGRAPHS)
_UMLAUT = re.compile("[äöüÄÖÜßẞ]")
# A whole word with an umlaut; anchored at the word's start, so that words without one
# are passed over in linear time.
_UMLAUT_WORD = re.compile(r"\b\w*?[äöüÄÖÜßẞ]\w*")


def fold_query(text: str) -> str:
    """Fold a query term the way indexed text is folded."""
    return text.translate(_DIGRAPH_TABLE)


def fold_document(text: str) -> str:
    """Fold indexed text, keeping a plain-vowel variant of every umlaut word."""
    if not _UMLAUT.search(text):  # most indexed text (URLs, identifiers, JSON): unchanged
        return text
    variants = " ".join(_replace(word, _PLAIN) for word in _UMLAUT_WORD.findall(text))
    return _replace(text, _DIGRAPHS) + " " + variants


def _replace(text: str, table: dict[str, str]) -> str:
    # Faster than str.translate, whose mapping to several characters goes character by
    # character through a dict: this is on the indexing path of every dataset.
    for umlaut, folded in table.items():
        if umlaut in text:
            text = text.replace(umlaut, folded)
    return text
