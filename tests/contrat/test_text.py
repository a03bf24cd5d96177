"""Folding: the fast road (SQLite's CONTRAT_FOLD, sort keys) gives what the definition gives."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from contrat.text import _SPECIAL_CHARACTERS, _fold_slowly, fold, french_sort_key

FRENCH = "aàâäbcçdeéèêëfghiîïjklmnoôöpqrstuùûüvwxyÿzAÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ -'’«»"
# Precomposed and decomposed accents, marks beyond the common block, other scripts and cases
# whose lower case changes the length (İ), all mixed in.
ODD = "e\u0301o\u0308\u0323\u1ab0\u20d7İΣσς日本Ωﬁ①²\u034f\u00ad"
ALPHABET = st.sampled_from(FRENCH + ODD + "".join(_SPECIAL_CHARACTERS))


@settings(max_examples=500)
@given(st.text(alphabet=ALPHABET, max_size=60) | st.text(max_size=60))
@example("Ludothèque ŒUVRE l’ESS « Réussir » Générations naïve Ça — ÀÂÄÇÈÉÊËÎÏÔÖÙÛÜŸ")
@example("e\u0301te\u0301 \u034f x\u0301\u1ab0")
def test_fold_gives_what_its_definition_gives(text):
    assert fold(text) == _fold_slowly(text)


def test_fold_examples_and_sort_key():
    assert fold("Ludothèque ÉLAN Œuvre cœur Æ ß") == "ludotheque elan oeuvre coeur ae ss"
    assert fold("ÉTÉ") == fold("e\u0301te\u0301") == "ete"
    assert fold(None) is None
    assert sorted(["Zèbre", "énergie", "Eau", "École"], key=french_sort_key) == [
        "Eau",
        "École",
        "énergie",
        "Zèbre",
    ]
