"""The full-text search (issue #14): French stemming, accents, phrases, ranking, highlighting,
the index kept in sync by every kind of write, bad input, the structures' search box.

Run on both engines (`DATABASE_URL=postgres://… pytest tests/actions/test_search.py`): the
seed's results are compared with tests/actions/search_expected.json, written from SQLite and
asserted on PostgreSQL alike, so that both engines give the same fiches and the same first one
(SEARCH_EXPECTED_WRITE=1 rewrites it, after a deliberate change: review its diff).
"""

import json
import os
import re
from html import unescape
from pathlib import Path

import pytest
import tablib
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import services
from actions.demo import demo_generate
from actions.filters import FicheFilter
from actions.models import FicheAction
from actions.resources import FicheActionResource
from actions.roles import REDACTEUR
from actions.search import fiche_texts, search_index_rebuild
from contrat.search import parse_query, stem, words
from structures.resources import StructureResource
from tests.conftest import page_html
from tests.factories import (
    FicheActionFactory,
    ParticipationFactory,
    SousActionFactory,
    StructureFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("actions:list")
STRUCTURES_URL = reverse("structures:list")
EXPECTED = Path(__file__).with_name("search_expected.json")

# Each query of the seed comparison: plural and singular, accents, phrases, structures,
# sub-actions, function words, short terms, prefixes, operators of either engine.
SEED_QUERIES = [
    "ludothèques",
    "ludotheque",
    "risque majeur",
    '"risques majeurs"',
    "energies",
    "ÉNERGIE",
    "emploi",
    "emploi des femmes",
    '"emploi des femmes"',
    "insertion",
    "cibs",
    "emergence",
    "adus",
    "alimentation",
    "enfants",
    "petite enfance",
    "personnes âgées",
    "culture",
    "ess",
    "l'ess",
    "bio",
    "a",
    "de",
    "ag",
    "sambre avesnois",
    "développement durable",
    "associations",
    "observatoire",
    "itinérante",
    "mutualisation",
    "numérique",
    "prévention",
    "jeunes",
    "santé",
    "formation",
    'trame "verte et bleue"',
    "NEAR(emploi insertion)",
    "-emploi",
    "titre:energie",
    "^energie*",
    'emploi "femmes',
    "inexistantmot",
]


def titles(query: str, user=None) -> list[str]:
    from django.contrib.auth.models import AnonymousUser
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data["q"] = query
    queryset = FicheAction.objects.visible_to(user or AnonymousUser()).for_listing()
    return [fiche.titre for fiche in FicheFilter(data, queryset=queryset).qs]


def found(query: str) -> set[str]:
    return set(FicheAction.objects.search(query).values_list("titre", flat=True))


# --- words, stems, queries -----------------------------------------------------------------


def test_words_are_folded_and_stemmed_the_snowball_french_way():
    assert words("Ludothèques itinérantes (l’ESS)") == ["ludotheques", "itinerantes", "l", "ess"]
    assert stem("ludotheques") == stem("ludotheque") == "ludothequ"
    assert stem("energies") == stem("energie") == "energ"
    assert stem("risques") == stem("risque")
    assert stem("majeurs") == stem("majeur")


def test_a_query_is_read_into_terms_and_phrases_whatever_it_holds():
    query = parse_query('Ludothèques "risques majeurs" de')
    assert [term.stems for term in query.terms] == [("risqu", "majeur"), ("ludothequ",)]
    assert query.fts5() == '"risqu majeur" AND ("ludothequ" OR "ludotheques"*)'
    assert query.tsquery() == "(risqu <-> majeur) & (ludothequ | ludotheques:*)"
    assert query.tsquery("A") == "(risqu:A <-> majeur:A) & (ludothequ:A | ludotheques:*A)"
    # The singular's stem when Snowball cuts it shorter; short words are whole words only.
    assert parse_query("vergers").terms[0].stems == ("verger", "verg")
    assert parse_query("eu").fts5() == '"eu"'
    # Operators of FTS5 and of tsquery are separators or plain words, quoted.
    hostile = parse_query("NEAR(a b) -x y:z ^w \"open * & | ! \\ ' ( )")
    assert all(
        re.fullmatch(r"[0-9a-z]+", s) for t in hostile.terms for s in (*t.stems, t.prefix or "x")
    )
    assert len(parse_query(" ".join(f"mot{n}" for n in range(50))).terms) == 10
    assert not parse_query('" « » * : ^ -')
    # Function words are left out, unless the query has nothing else.
    assert [t.prefix for t in parse_query("gestion de l'eau").terms] == ["gestion", "eau"]
    assert [t.stems for t in parse_query("de").terms] == [("de",)]


def test_postgresql_stems_every_word_of_the_seed_as_python_does(recap):
    if connection.vendor != "postgresql":
        pytest.skip("Le dictionnaire french_stem_complet n'existe que sur PostgreSQL.")
    vocabulary = sorted(
        {
            word
            for texts in fiche_texts(FicheAction.objects.values("pk")).values()
            for text in texts
            for word in words(text)
        }
    )
    assert len(vocabulary) > 500
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w, ts_lexize('french_stem_complet', w) FROM unnest(%s::text[]) AS w",
            [vocabulary],
        )
        differences = [(w, pg, stem(w)) for w, pg in cursor.fetchall() if pg != [stem(w)]]
    assert differences == []


# --- what a visitor finds ------------------------------------------------------------------


def test_plural_singular_accents_and_case_all_match():
    FicheActionFactory(titre="Ludothèque itinérante")
    FicheActionFactory(titre="Risques majeurs")
    FicheActionFactory(titre="Energie")
    FicheActionFactory(titre="Autre chose", descriptif="Rien à voir.")

    assert titles("ludothèques") == ["Ludothèque itinérante"]
    assert titles("LUDOTHEQUES") == ["Ludothèque itinérante"]
    assert titles("risque majeur") == ["Risques majeurs"]
    assert titles("energies") == titles("Énergie") == ["Energie"]
    assert titles("énergétique") == []  # another word, whose stem 'energet' is not 'energ'


def test_every_word_is_required_and_a_prefix_of_three_letters_finds_longer_words():
    FicheActionFactory(titre="Emploi des femmes", descriptif="Accompagnement vers l'emploi")
    FicheActionFactory(titre="Emploi des seniors", descriptif="")

    assert set(titles("emploi")) == {"Emploi des femmes", "Emploi des seniors"}
    assert titles("emploi accompagnements") == ["Emploi des femmes"]
    assert titles("emploi introuvable") == []
    assert titles("accomp") == ["Emploi des femmes"]
    assert titles("se") == []  # too short to be a prefix: whole words only


def test_a_word_is_its_own_prefix_not_its_stems():
    FicheActionFactory(titre="Emergence CIBS", descriptif="")
    FicheActionFactory(titre="Publics cibles", descriptif="")
    FicheActionFactory(titre="Vergers du bocage", descriptif="")
    FicheActionFactory(titre="Un verger", descriptif="")

    assert titles("cibs") == ["Emergence CIBS"]  # stem 'cib', yet not 'cibles'
    assert titles("cibl") == ["Publics cibles"]
    assert set(titles("vergers")) == set(titles("verger")) == {"Vergers du bocage", "Un verger"}


def test_a_quoted_phrase_matches_as_a_phrase():
    FicheActionFactory(titre="Prévenir les risques majeurs")
    FicheActionFactory(titre="Risques", descriptif="Des enjeux majeurs pour le territoire")

    assert titles('"risques majeurs"') == ["Prévenir les risques majeurs"]
    assert set(titles("risques majeurs")) == {"Prévenir les risques majeurs", "Risques"}
    assert titles('"majeurs risques"') == []
    assert titles("« risque majeur »") == ["Prévenir les risques majeurs"]


def test_a_match_in_the_title_comes_first_then_the_descriptif_then_the_rest():
    porteur = StructureFactory(nom="Association Ludothèque du Nord", sigle="ALN")
    ParticipationFactory(fiche=FicheActionFactory(titre="C structure", ordre=1), structure=porteur)
    SousActionFactory(fiche=FicheActionFactory(titre="D sous-action", ordre=2), titre="Ludothèque")
    FicheActionFactory(titre="B descriptif", descriptif="Une ludothèque mobile.", ordre=3)
    FicheActionFactory(titre="A Ludothèques", descriptif="Rien.", ordre=4)

    ranked = titles("ludotheque")

    assert ranked[:2] == ["A Ludothèques", "B descriptif"]
    assert set(ranked[2:]) == {"C structure", "D sous-action"}
    # An explicit order still wins over relevance.
    assert titles_sorted("ludotheque", "titre") == sorted(ranked)


def titles_sorted(query, sort):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.update({"q": query, "sort": sort})
    return [f.titre for f in FicheFilter(data, queryset=FicheAction.objects.for_listing()).qs]


@pytest.mark.parametrize(
    "query",
    [
        '"risques',
        'risques"',
        '""',
        "*",
        "risq*",
        "NEAR(risques majeurs)",
        "risques NEAR majeurs",
        "risques AND OR NOT majeurs",
        "-majeurs",
        "titre:risques",
        "descriptif : majeurs",
        "^risques",
        "risques & | ! ( ) : *",
        "'",
        "\\",
        "{titre} : x",
        "é" * 199,
        "risques " * 25,
    ],
)
def test_bad_input_never_fails_and_is_read_as_words(client, query):
    FicheActionFactory(titre="Risques majeurs")

    response = client.get(LIST_URL, {"q": query})

    assert response.status_code == 200
    list(FicheAction.objects.search(query))  # the queryset alone never fails either


def test_operators_are_plain_words():
    FicheActionFactory(titre="Risques majeurs")
    FicheActionFactory(titre="Autre", descriptif="Near the end")

    assert titles("-majeurs") == ["Risques majeurs"]  # no NOT
    assert titles("titre:majeurs") == []  # "titre" is a word to find, not a column
    assert titles("NEAR") == ["Autre"]
    assert titles('"risques') == ["Risques majeurs"]  # a quote that never closes


# --- a search for nothing proposes the texts' own spelling ---------------------------------


def test_a_typo_gets_a_suggestion_that_finds_the_fiche(client):
    FicheActionFactory(titre="Ludothèque itinérante")
    FicheActionFactory(titre="Autre chose", descriptif="Un jardin partagé")

    html = page_html(client.get(LIST_URL, {"q": "ludotheqe itinerente", "statut": ""}))

    assert "Aucune fiche ne correspond" in html
    match = re.search(r'Vouliez-vous dire <a href="([^"]+)">« (.*?) »</a>', html)
    assert match and unescape(match.group(2)) == "ludothèque itinérante"
    followed = page_html(client.get(LIST_URL + unescape(match.group(1))))
    assert "Ludothèque itinérante" in unescape(
        followed.replace("<mark>", "").replace("</mark>", "")
    )


def test_no_suggestion_when_the_search_finds_or_nothing_is_close(client):
    FicheActionFactory(titre="Ludothèque itinérante")

    assert "Vouliez-vous dire" not in page_html(client.get(LIST_URL, {"q": "ludotheque"}))
    assert "Vouliez-vous dire" not in page_html(client.get(LIST_URL, {"q": "xyzwvut"}))


# --- highlighting --------------------------------------------------------------------------


def test_the_cards_highlight_the_matched_words_escaped(client):
    FicheActionFactory(
        titre="<b>Ludothèques</b> & jeux",
        descriptif="Premier paragraphe sans le mot.\n\nPuis une ludothèque <script>x</script>.",
    )

    html = page_html(client.get(LIST_URL, {"q": "ludothèque"}))

    assert "&lt;b&gt;<mark>Ludothèques</mark>&lt;/b&gt; &amp; jeux" in html
    assert "une <mark>ludothèque</mark> &lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x" not in html and "<b>Ludo" not in html


def test_no_highlight_without_a_search(client):
    FicheActionFactory(titre="Ludothèque itinérante")

    html = page_html(client.get(LIST_URL))

    assert "Ludothèque itinérante" in html and "<mark>" not in html


def test_a_porteur_found_by_the_search_is_highlighted_on_the_card(client):
    fiche = FicheActionFactory(titre="Séniors actifs")
    ParticipationFactory(fiche=fiche, structure=StructureFactory(nom="Emergence CIBC"))

    html = page_html(client.get(LIST_URL, {"q": "cibc"}))

    assert "Emergence <mark>CIBC</mark>" in html


# --- the index follows every kind of write -------------------------------------------------


def test_a_title_edit_is_found_at_once_and_the_old_title_no_more():
    fiche = FicheActionFactory(titre="Ludothèque itinérante")
    assert found("ludotheque") == {"Ludothèque itinérante"}

    fiche.titre = "Verger partagé"
    fiche.save()

    assert found("ludotheque") == set()
    assert found("vergers") == {"Verger partagé"}


def test_a_structure_rename_reindexes_its_fiches():
    structure = StructureFactory(nom="Maison des jeux")
    ParticipationFactory(fiche=FicheActionFactory(titre="A"), structure=structure)
    ParticipationFactory(fiche=FicheActionFactory(titre="B"), structure=structure)
    FicheActionFactory(titre="C")

    structure.nom = "Coopérative ludique"
    structure.autres_graphies = "CoopLud"
    structure.save()

    assert found("cooperatives") == {"A", "B"}
    assert found("cooplud") == {"A", "B"}
    assert found("jeux") == set()


def test_sub_actions_and_participations_added_or_deleted_are_followed():
    fiche = FicheActionFactory(titre="Fiche")
    sous = SousActionFactory(fiche=fiche, titre="Observatoire", description="Un annuaire")
    participation = ParticipationFactory(fiche=fiche, structure=StructureFactory(sigle="ADUS"))
    assert found("annuaires") == found("adus") == {"Fiche"}

    sous.delete()
    participation.delete()

    assert found("annuaire") == found("adus") == set()


def test_a_deleted_fiche_leaves_the_index():
    fiche = FicheActionFactory(titre="Ludothèque")
    pk = fiche.pk
    fiche.delete()

    assert found("ludotheque") == set()
    table = "actions_fiche_recherche" if connection.vendor == "postgresql" else "actions_fiche_fts"
    key = "fiche_id" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {key} = %s", [pk])
        assert cursor.fetchone()[0] == 0


def test_an_import_is_indexed():
    fiche = FicheActionFactory(titre="Ancien titre", slug="une-fiche")
    dataset = tablib.Dataset(headers=["slug", "titre", "descriptif"])
    dataset.append([fiche.slug, "Jardins partagés", "Des potagers dans chaque quartier"])
    dataset.append(["nouvelle", "Repair café", "Réparer ensemble"])

    result = FicheActionResource().import_data(dataset)

    assert not result.has_errors() and not result.has_validation_errors()
    assert found("jardin") == found("potager") == {"Jardins partagés"}
    assert found("reparer") == {"Repair café"}
    assert found("ancien") == set()


def test_a_structure_renamed_by_an_import_reindexes_its_fiches():
    structure = StructureFactory(nom="Maison des jeux", slug="maison-des-jeux")
    ParticipationFactory(fiche=FicheActionFactory(titre="A"), structure=structure)
    dataset = tablib.Dataset(headers=["slug", "nom", "autres_graphies"])
    dataset.append([structure.slug, "Coopérative ludique", "CoopLud"])

    result = StructureResource().import_data(dataset)

    assert not result.has_errors() and not result.has_validation_errors()
    assert found("cooperative") == found("cooplud") == {"A"}
    assert found("jeux") == set()


def test_a_restored_version_is_found_by_its_restored_title():
    redacteur = staff_user(REDACTEUR, username="restaure")
    fiche = FicheActionFactory(titre="Ludothèque itinérante")
    first = fiche.history.earliest()
    fiche.titre = "Verger"
    fiche.save()
    assert found("ludotheque") == set()

    services.fiche_restore_version(fiche=fiche, record=first, user=redacteur)

    assert found("ludotheque") == {"Ludothèque itinérante"}
    assert found("verger") == set()


def test_a_deleted_fiche_brought_back_is_found_again():
    redacteur = staff_user(REDACTEUR, username="restaure2")
    fiche = FicheActionFactory(titre="Ludothèque itinérante")
    pk = fiche.pk
    fiche.delete()
    assert found("ludotheque") == set()

    services.fiche_restore(fiche_id=pk, user=redacteur)

    assert found("ludotheque") == {"Ludothèque itinérante"}


def test_generated_fiches_are_indexed():
    summary = demo_generate(fiches=30, seed=3)

    some = FicheAction.objects.get(slug=summary.slugs[0])
    word = max(words(some.titre), key=len)
    assert some.titre in found(word)


def test_a_transaction_rolled_back_leaves_the_index_as_it_was(django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        FicheActionFactory(titre="Ludothèque")
    try:
        with transaction.atomic():
            FicheActionFactory(titre="Verger")
            assert found("verger") == {"Verger"}  # this transaction sees its own write
            raise RuntimeError
    except RuntimeError:
        pass

    assert found("verger") == set()
    assert found("ludotheque") == {"Ludothèque"}


def test_the_rebuild_command_restores_a_lost_index(recap):
    assert found("ludotheque") == {"Ludothèque itinérante"}  # the seed's writes indexed
    table = "actions_fiche_recherche" if connection.vendor == "postgresql" else "actions_fiche_fts"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
    assert found("ludotheque") == set()

    call_command("reindexer_recherche", verbosity=0)

    assert found("ludotheque") == {"Ludothèque itinérante"}
    assert search_index_rebuild() == 29


# --- the seed, on both engines -------------------------------------------------------------


def seed_results() -> dict[str, dict]:
    results = {}
    for query in SEED_QUERIES:
        ranked = titles(query)
        results[query] = {"premier": ranked[0] if ranked else None, "fiches": sorted(ranked)}
    return results


def test_the_seed_gives_the_expected_fiches_and_first_result_on_this_engine(recap):
    """Both engines are held to one file: the same fiches and the same first result."""
    results = seed_results()
    if os.environ.get("SEARCH_EXPECTED_WRITE"):  # after a deliberate change of the search
        EXPECTED.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", "utf-8")
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert results == expected


def test_the_seed_examples_a_user_would_try(recap):
    assert titles("ludothèques")[0] == "Ludothèque itinérante"
    assert titles("risque majeur")[0] == "Risques majeurs"
    assert titles("energies")[0] == "Energie"
    assert titles('"risques majeurs"')[0] == "Risques majeurs"


# --- the structures' search box ------------------------------------------------------------


def test_structures_are_searched_by_name_acronym_and_other_spellings(client):
    StructureFactory(nom="Emergence CIBC Sambre-Avesnois", sigle="CIBC", autres_graphies="CIBS")
    StructureFactory(nom="Agence de développement et d'urbanisme", sigle="ADUS")
    StructureFactory(nom="Maison des associations")

    def names(query):
        html = page_html(client.get(STRUCTURES_URL, {"q": query}))
        found = re.findall(r'<th scope="row">\s*<a href="[^"]+">(.*?)</a>', html)
        return [unescape(name) for name in found]

    # "cibs" is only among its other spellings: found, with nothing to mark in the name.
    assert names("cibs") == ["Emergence CIBC Sambre-Avesnois"]
    assert names("cibc") == ["Emergence <mark>CIBC</mark> Sambre-Avesnois"]
    assert names("adus") == ["Agence de développement et d'urbanisme"]  # the acronym
    assert names("association") == ["Maison des <mark>associations</mark>"]
    assert names("DÉVELOPPEMENTS") == ["Agence de <mark>développement</mark> et d'urbanisme"]
    assert len(names("")) == 3
    html = page_html(client.get(STRUCTURES_URL, {"q": "introuvable"}))
    assert "Aucune structure ne correspond à « introuvable »" in html


def test_the_structures_search_box_is_labelled_and_needs_no_script(client):
    html = page_html(client.get(STRUCTURES_URL, {"q": "x" * 300}))

    assert re.search(r'<form class="search-form" method="get" action="/structures/"', html)
    assert '<label for="id_q">Rechercher une structure</label>' in html
    assert 'type="submit"' in html
    assert "limitée à 200 caractères" in html


@pytest.mark.parametrize("size", [5, 60])
def test_the_structures_search_costs_no_query(client, django_assert_num_queries, size):
    for n in range(size):
        StructureFactory(nom=f"Structure numéro {n}")
    client.get(STRUCTURES_URL)
    with CaptureQueriesContext(connection) as plain:
        client.get(STRUCTURES_URL)
    with django_assert_num_queries(len(plain.captured_queries)):
        response = client.get(STRUCTURES_URL, {"q": "structures numero 1"})
    assert response.context["structures"][0].nom == "Structure numéro 1"
