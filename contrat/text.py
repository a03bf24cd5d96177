"""Folding French text for accent- and case-blind search and sorting, in one place."""

import unicodedata

# What NFKD does not decompose but PostgreSQL's unaccent rules map: keep both engines alike.
_SPECIAL = str.maketrans(
    {
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ß": "ss",
        "ẞ": "ss",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "‘": "'",
        "’": "'",
        "‛": "'",
        "ʼ": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": ",,",
        "«": "<<",
        "»": ">>",
        "‹": "<",
        "›": ">",
        "\u00ad": "-",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
    }
)


def fold(text: str | None) -> str | None:
    """'Ludothèque ŒUVRE' -> 'ludotheque oeuvre': no accents, no ligatures, lower case.

    Registered as SQLite's CONTRAT_FOLD (PostgreSQL's is lower(unaccent()), migration 0008),
    applied to search queries, and used as the French sort key of short lists."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def french_sort_key(text: str) -> tuple[str, str]:
    """Sort 'Énergie' among the E, then break ties on the original text so the order is total."""
    return (fold(text), text)
