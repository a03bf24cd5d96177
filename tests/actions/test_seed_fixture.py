"""fixtures/recap.json against its source text: every cell, budget, link and structure kept."""

import re
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from actions.models import FicheAction, NatureSousAction, Participation, Periodicite, Role
from actions.seed.budget_cell import parse_budget
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Nature, Structure

pytestmark = pytest.mark.django_db

SOURCE = Path(settings.BASE_DIR) / "fixtures" / "source" / "recap.txt"


# --- an independent reading of the source, deliberately not actions.seed.source's splitter


def source_text() -> str:
    return SOURCE.read_text(encoding="utf-8")


def source_rows() -> list[list[str]]:
    """29 rows of 5 cells: split on TAB at line starts, cut before the dashed footer."""
    body = re.split(r"\n-{10,}", source_text())[0]
    cells = [chunk.rstrip() for chunk in re.split(r"(?m)^\t", body)[1:]]
    assert cells[:5] == ["Titre", "Descriptif", "Enjeu", "Budget", "Structure"]
    return [cells[i : i + 5] for i in range(5, len(cells), 5)]


def one_line(title: str) -> str:
    return re.sub(r"[ \n]+", " ", title).strip(" \n")


def euros_in(cell: str) -> Decimal | None:
    """What the Budget cell says in all: amounts, times the years when it is per year."""
    amounts = [Decimal(re.sub(r"\D", "", a)) for a in re.findall(r"(\d[\d\u00a0 ]*)\s*€", cell)]
    if not amounts:
        return None
    per_year = re.search(r"par an sur (\d+) ans", cell, re.IGNORECASE)
    return sum(amounts) * (int(per_year.group(1)) if per_year else 1)


def folded(text: str) -> str:
    text = text.replace("’", "'").replace("œ", "oe").replace("…", " ")
    text = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def key(text: str) -> str:
    """A name with case, accents and punctuation folded away."""
    return " ".join(re.findall(r"[a-z0-9]+", folded(text)))


def fiche(titre_start: str) -> FicheAction:
    return FicheAction.objects.get(titre__startswith=titre_start)


def codes(f: FicheAction) -> set[str]:
    return {o.code or o.titre for o in f.orientations.select_related("enjeu")}


def structure(spelling: str) -> Structure:
    matches = [s for s in Structure.objects.all() if key(spelling) in map(key, all_names(s))]
    assert len(matches) == 1, f"{spelling!r} → {matches}"
    return matches[0]


def all_names(s: Structure) -> list[str]:
    return [s.nom, *s.graphies]


def role_of(f: FicheAction, s: Structure) -> tuple[str, str]:
    p = Participation.objects.get(fiche=f, structure=s)
    return p.role, p.precision


# --- the source itself


def test_the_independent_reading_finds_29_rows():
    rows = source_rows()
    assert len(rows) == 29
    assert rows[0][0] == "Le PADESS en Sambre-Avesnois"
    assert rows[-1][0] == "Sensibilisation et prévention aux difficultés des entreprises"


# --- fiches and their cells


def test_the_fiches_follow_the_recap_titles_in_order(recap):
    fiches = list(FicheAction.objects.order_by("ordre"))
    assert [f.ordre for f in fiches] == list(range(1, 30))
    assert [f.titre for f in fiches] == [one_line(row[0]) for row in source_rows()]
    assert all(f.etat == "publiee" and f.statut == "proposee" for f in fiches)
    assert len({f.slug for f in fiches}) == 29


def test_titles_only_lose_their_line_breaks_and_edge_spaces(recap):
    titles = set(FicheAction.objects.values_list("titre", flat=True))
    assert "Trame verte et bleue" in titles
    assert "L’emploi des femmes allocataires du RSA" in titles
    assert (
        "Accès informatique à tous les professionnels (agricoles, artisans, commerçants en TPE)"
        in titles
    )
    assert "Consolidation de la halte-garderie itinérante «\u00a0les p’tits loups\u00a0»" in titles


def test_descriptifs_and_the_enjeu_budget_structure_cells_are_verbatim(recap):
    fiches = FicheAction.objects.order_by("ordre")
    for f, (_titre, descriptif, enjeu, budget, structure_cell) in zip(
        fiches, source_rows(), strict=True
    ):
        assert f.descriptif == descriptif, f.titre
        assert f.enjeu_texte == enjeu, f.titre
        assert f.budget_texte == budget, f.titre
        assert f.structure_texte == structure_cell, f.titre


def test_descriptifs_keep_bullets_nbsp_inner_spaces_and_the_stray_contrat_line(recap):
    ludo = fiche("Ludothèque").descriptif
    assert "prioritaires\u00a0: \n· le prêt de jeux" in ludo
    citoyennete = fiche("Citoyenneté").descriptif
    assert "-  le   vieillissement et  l’intergénérationnel" in citoyennete
    for titre in ("Accès informatique", "Sensibilisation et prévention"):
        assert fiche(titre).descriptif.endswith("\nContrat")


# --- budgets


def test_each_budget_total_is_what_the_budget_cell_says(recap):
    fiches = FicheAction.objects.order_by("ordre")
    for f, row in zip(fiches, source_rows(), strict=True):
        assert f.budget_total == euros_in(row[3]), f.titre
    without = [f.titre for f in fiches if f.budget_total is None]
    assert len(without) == 11
    assert "Ludothèque itinérante" in without


def test_the_per_year_and_over_six_years_budgets(recap):
    (annual,) = fiche("Accès informatique").lignes_budget.all()
    assert (annual.montant, annual.periodicite, annual.nombre_annees) == (
        Decimal("2000"),
        Periodicite.ANNUEL,
        6,
    )
    assert fiche("Accès informatique").budget_total == Decimal("12000")
    (spread,) = fiche("Sensibilisation et prévention").lignes_budget.all()
    assert (spread.montant, spread.periodicite, spread.nombre_annees) == (
        Decimal("15000"),
        Periodicite.TOTAL,
        6,
    )
    assert fiche("Sensibilisation et prévention").budget_total == Decimal("15000")


def test_the_grand_total_is_the_sum_of_the_cells(recap):
    expected = sum(t for row in source_rows() if (t := euros_in(row[3])) is not None)
    total = sum(f.budget_total or 0 for f in FicheAction.objects.all())
    assert total == expected == Decimal("1142370")
    assert FicheAction.objects.with_budget_total().get(ordre=1).budget_total == Decimal("250550")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250\u00a0550 €", [(Decimal("250550"), "total", None)]),
        ("250\u202f550\u00a0€", [(Decimal("250550"), "total", None)]),
        ("3 200 €", [(Decimal("3200"), "total", None)]),
        ("2\u00a0000 €\nPar an sur 6 ans", [(Decimal("2000"), "annuel", 6)]),
        ("15\u00a0000 €\nsur 6 ans", [(Decimal("15000"), "total", 6)]),
        ("1 500,50 €", [(Decimal("1500.50"), "total", None)]),
        ("", []),
        ("  \n ", []),
    ],
)
def test_parse_budget(text, expected):
    lines = parse_budget(text)
    assert [(ln.montant, ln.periodicite, ln.nombre_annees) for ln in lines] == expected


def test_parse_budget_totals():
    assert parse_budget("2 000 €\nPar an sur 6 ans")[0].total == Decimal("12000")
    assert parse_budget("15 000 €\nsur 6 ans")[0].total == Decimal("15000")


@pytest.mark.parametrize("text", ["beaucoup", "sur 6 ans", "12 000 €\npar mois"])
def test_parse_budget_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError, match="illisible|sans montant"):
        parse_budget(text)


# --- the referential


def test_the_contract(recap):
    contrat = Contrat.objects.get()
    assert contrat.nom == "Contrat de territoire CG59 — Sambre-Avesnois"
    assert contrat.slug == "cg59-sambre-avesnois"
    assert (contrat.territoire, contrat.periode) == ("Sambre-Avesnois", "6 ans")
    assert contrat.pied_de_page == "Le Pôle de développement de l’ESS est soutenu par"
    assert f"---- {contrat.pied_de_page}" in re.sub("-+", "----", source_text())
    assert "Tableau récapitulatif des fiches actions des SESS" in contrat.description
    assert "économie sociale et solidaire" in contrat.description


def test_enjeux_and_orientations_as_cited(recap):
    assert list(Enjeu.objects.values_list("numero", "titre")) == [
        (1, ""),
        (2, ""),
        (3, ""),
        (7, "Dynamiser le tissu économique notamment agricole pour développer l’emploi"),
        (8, ""),
    ]
    orientations = {o.code: o for o in Orientation.objects.select_related("enjeu")}
    assert sorted(orientations) == sorted(
        ["1.1", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3", "3.4", "3.5"]
        + ["7.2", "7.3", "7.6", "7.7", "8.1", ""]
    )
    assert orientations["7.7"].titre == "Soutenir l’économie sociale et solidaire"
    assert "Soutenir l’ESS" in orientations["7.7"].libelles_cites.splitlines()
    assert orientations["3.3"].titre.startswith("Professionnalisation et structuration")
    assert "solidarité et l’autonomie" in orientations["3.3"].libelles_cites.splitlines()
    assert orientations["2.2"].libelles_cites.startswith("Émergence et identification")
    assert orientations["3.1"].libelles_cites == "enfance et de parentalité"
    assert orientations["7.2"].libelles_cites == (
        "Accompagner les mutations économique en faveur de l’emploi"
    )
    unnumbered = orientations[""]
    assert unnumbered.titre == "Adapter le développement culturel aux spécificités du territoire"
    assert unnumbered.enjeu is None and unnumbered.numero is None


UNNUMBERED = "Adapter le développement culturel aux spécificités du territoire"
EXPECTED_LINKS = {
    "Le PADESS": ({"7.7"}, set()),
    "Un Laboratoire": ({"7.7"}, set()),
    "Un observatoire": ({"7.7"}, set()),
    "Etude-action Petite enfance": ({"3.1", "7.7"}, set()),
    "Consolidation de la halte-garderie": ({"3.1", "7.7"}, set()),
    "Livre blanc": (set(), {2}),
    "Garde d’enfants": (set(), {2, 7}),
    "Animation de l’Equipe Locale": ({"1.1", "3.1", "3.2", "3.3", "3.4", "3.5"}, set()),
    "L’emploi des femmes": ({"2.1", "2.3", "8.1"}, set()),
    "Guidance": ({"2.5", "2.3"}, set()),
    "Séniors actifs": ({"2.2", "2.3", "2.4"}, set()),
    "PROMOUVOIR LA VAE": ({"2.2", "3.3"}, set()),
    "VALORISER LES EXPERIENCES": ({"8.1"}, set()),
    "Plateforme de service": ({UNNUMBERED, "7.7"}, set()),
    "Accès informatique": ({"7.2", "7.3", "7.6", "7.7"}, set()),
    "Sensibilisation et prévention": ({"7.2", "7.3", "7.6", "7.7"}, set()),
}


def test_each_fiche_links_the_enjeux_and_orientations_it_cites(recap):
    for f in FicheAction.objects.prefetch_related("enjeux"):
        start = next((s for s in EXPECTED_LINKS if f.titre.startswith(s)), None)
        expected_codes, expected_enjeux = EXPECTED_LINKS.get(start, (set(), set()))
        assert codes(f) == expected_codes, f.titre
        assert {e.numero for e in f.enjeux.all()} == expected_enjeux, f.titre
        if not f.enjeu_texte:
            assert start is None, f.titre
    assert FicheAction.objects.filter(enjeu_texte="").count() == 13


def test_an_enjeu_lists_its_fiches(recap):
    enjeu_7 = Enjeu.objects.get(numero=7)
    assert FicheAction.objects.for_enjeu(enjeu_7).count() == 9


# --- structures


def test_no_structure_is_there_twice_however_spelled(recap):
    owner: dict[str, str] = {}
    for s in Structure.objects.all():
        for name in all_names(s):
            assert owner.setdefault(key(name), s.nom) == s.nom, f"{name!r} in two structures"
    assert len({s.slug for s in Structure.objects.all()}) == Structure.objects.count()


@pytest.mark.parametrize(
    "spellings",
    [
        ["Emergence CIBC Sambre-Avesnois", "Emergence CIBC", "Emergence CIBS"],
        ["URIOPS", "URIOPSS", "URIOPPS"],
        ["Pôle ESS", "Pole ESS", "POLE ESS"],
        ["Colline et ACEPP", "COLLINE ACEPP"],
        ["Arcades", "ARCADES"],
        ["Maison de l’emploi", "Maisons de l’emploi", "les MDE de l’Avesnois"],
        ["PNR Avesnois", "Parc Naturel de l’Avesnois"],
        ["CCI", "Chambre du Commerce"],
        ["Les pouvoirs publics", "Les Pouvoirs Publics"],
        ["la DT du CG59", "Direction territoriale du CG59"],
    ],
)
def test_one_structure_for_all_its_spellings(recap, spellings):
    assert len({structure(spelling).pk for spelling in spellings}) == 1


def test_rsi_msa_is_two_structures(recap):
    f = fiche("Accès informatique")
    rsi, msa = structure("RSI"), structure("MSA")
    assert rsi != msa
    assert rsi.nature == msa.nature == Nature.PROTECTION_SOCIALE
    assert role_of(f, rsi)[0] == role_of(f, msa)[0] == Role.PARTENAIRE


# Linking words of the Structure cells ("X avec Y", "Partenaires :", "ainsi que"...).
CONNECTING_WORDS = set(
    re.findall(
        r"\w+",
        "le la les l d de du des et avec ainsi que partenaires sont pour mise en oeuvre plan "
        "suivi evaluation actions portees par appui partenariats organismes charges "
        "accompagnement creation activite qu elle soit agricole artisanale commerciale",
    )
)


def test_every_name_in_a_structure_cell_is_a_participation(recap):
    """Take out of each cell the names of the fiche's structures (every spelling) and their
    contacts: only linking words may be left."""
    for f in FicheAction.objects.prefetch_related("participations__structure__contacts"):
        text = folded(f.structure_texte)
        names = []
        for p in f.participations.all():
            names += all_names(p.structure) + [c.nom for c in p.structure.contacts.all()]
        for name in sorted(map(folded, names), key=len, reverse=True):
            text = re.sub(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", " ", text)
        left = [w for w in re.findall(r"[a-z0-9]+", text) if w not in CONNECTING_WORDS]
        assert left == [], f"{f.titre} : {left}"


GENERIC = [
    "acteurs locaux concernés par les thématiques étudiées",
    "Les pouvoirs publics",
    "Communes, Intercommunalités",
    "Des écoles et une association de jardiniers",
    "Les têtes des réseaux",
    "Les structures d’accompagnement",
    "les centre sociaux",
    "les CCAS",
    "les bailleurs sociaux",
    "les ESAT",
    "Agence de voyages",
    "Caisse de retraite",
    "Missions locales",
    "Les associations locales",
    "les acteurs culturels du territoire",
    "les acteurs culturelles de l’avesnois",
    "Chambre consulaires",
    "associations agricoles",
    "les acteurs locaux en relation avec création d’entreprise",
]


def test_generic_partners_are_groups_with_a_participation(recap):
    for spelling in GENERIC:
        s = structure(spelling)
        assert s.nature == Nature.GROUPE, spelling
        assert s.participations.exists(), spelling
    assert Structure.objects.generic().count() == len(GENERIC)


def test_descriptions_come_from_the_document_or_the_glossary(recap):
    assert structure("EIF").nature == Nature.AUTRE
    assert structure("EIF").description == ""
    assert structure("CIO").nature == Nature.SERVICE_ETAT
    assert structure("ADUS").description == "Agence de développement et d’urbanisme de la Sambre."
    assert structure("GEDAS").description.startswith("Groupement d’employeurs développement")
    assert "ne développe pas" in structure("COTESS").description
    assert structure("URIOPSS").sigle == "URIOPSS"


def test_roles_as_the_cells_say(recap):
    padess = fiche("Le PADESS")
    assert role_of(padess, structure("Pôle ESS")) == (
        Role.PORTEUR,
        "mise en œuvre du plan, suivi et évaluation",
    )
    for name in ("ADUS", "COTESS", "les MDE de l’Avesnois", "BGE", "Réussir en Sambre"):
        assert role_of(padess, structure(name))[0] == Role.CO_PORTEUR, name

    observatoire = fiche("Un observatoire")
    assert role_of(observatoire, structure("ADUS"))[0] == Role.PORTEUR
    assert role_of(observatoire, structure("CRESS"))[0] == Role.CO_PORTEUR
    assert role_of(observatoire, structure("Maisons de l’emploi"))[0] == Role.PARTENAIRE

    culture = fiche("Définir une politique")
    assert role_of(culture, structure("COTESS"))[0] == Role.PORTEUR
    assert role_of(culture, structure("Pole ESS"))[0] == Role.CO_PORTEUR
    assert role_of(culture, structure("les acteurs culturels du territoire"))[0] == Role.CO_PORTEUR
    assert role_of(culture, structure("Les pouvoirs publics"))[0] == Role.PARTENAIRE

    services = fiche("Développer les services")
    assert role_of(services, structure("URIOPPS"))[0] == Role.PARTENAIRE
    assert [p.structure.nom for p in services.participations.all()][:3] == [
        "COTESS",
        "Pôle ESS",
        "ADAR",
    ]

    halte = fiche("Consolidation de la halte-garderie")
    assert role_of(halte, structure("Association Santé et Promotion"))[0] == Role.PORTEUR
    assert role_of(halte, structure("COLLINE ACEPP"))[0] == Role.PARTENAIRE

    garde = fiche("Garde d’enfants")
    assert role_of(garde, structure("ADAR"))[0] == Role.PORTEUR
    dt = structure("la DT du CG59")
    assert (dt.nom, dt.nature) == ("Direction territoriale du CG59", Nature.COLLECTIVITE)
    assert role_of(garde, dt)[0] == Role.CO_PORTEUR

    seniors = fiche("Séniors actifs")
    assert [(p.structure.nom, p.role) for p in seniors.participations.all()][0] == (
        "Emergence CIBC Sambre-Avesnois",
        Role.PORTEUR,
    )
    assert seniors.participations.filter(role=Role.PARTENAIRE).count() == 5
    assert not seniors.participations.filter(role=Role.CO_PORTEUR).exists()

    vae = fiche("PROMOUVOIR LA VAE")
    assert role_of(vae, structure("CIO"))[0] == role_of(vae, structure("EIF"))[0]
    assert role_of(vae, structure("EIF"))[0] == Role.PARTENAIRE


def test_every_fiche_has_one_porteur(recap):
    for f in FicheAction.objects.all():
        assert f.participations.filter(role=Role.PORTEUR).count() == 1, f.titre


def test_partners_named_in_descriptifs(recap):
    bio = fiche("Consommer bio")
    for name in ("GABNOR", "PNR Avesnois", "Aprobio"):
        assert role_of(bio, structure(name))[0] == Role.PARTENAIRE, name
    halte = fiche("Consolidation de la halte-garderie")
    for name in ("Envol", "Le Petit Tambour"):
        assert role_of(halte, structure(name)) == (
            Role.PARTENAIRE,
            "rapprochement envisagé (cité dans le descriptif)",
        )


def test_the_contact_of_les_sens_du_gout(recap):
    contact = Contact.objects.get()
    assert (contact.nom, contact.fonction) == ("Elise POISNEL", "")
    assert contact.structure.nom == "Les sens du goût"


# --- sub-actions


def test_the_padess_tree(recap):
    padess = fiche("Le PADESS")
    items = list(padess.sous_actions.all())
    by_nature = {n: [i for i in items if i.nature == n] for n in NatureSousAction.values}
    assert [o.titre for o in by_nature["orientation"]] == [
        "Faciliter les initiatives de l’ESS pour le développement de l’activité et l’emploi",
        "Mieux connaître et promouvoir l’ESS",
        "Suivre et évaluer le plan ESS",
    ]
    assert len(by_nature["axe"]) == 5
    assert all(axe.parent.nature == "orientation" for axe in by_nature["axe"])
    assert by_nature["axe"][0].titre == "Innover, créer dans l’ESS"
    actions = by_nature["action"]
    assert [a.numero for a in actions] == [str(n) for n in range(1, 18)]
    assert actions[0].titre == "Animer un observatoire dynamique de l’ESS en Sambre-Avesnois"
    assert actions[0].parent.titre == "Innover, créer dans l’ESS"
    assert all(a.parent.nature == "axe" for a in actions[:16])
    assert actions[16].parent == by_nature["orientation"][2]
    assert [i.ordre for i in items] == list(range(1, 26))


def test_the_actions_of_rapprocher_and_citoyennete(recap):
    rapprocher = list(fiche("Rapprocher les générations").sous_actions.all())
    assert [(a.numero, a.titre) for a in rapprocher] == [
        ("1", "«\u00a0Un toit à partager\u00a0»"),
        ("2", "l’appui aux porteurs de projets"),
    ]
    assert rapprocher[0].description.startswith("Mettre en relation des jeunes")
    assert rapprocher[1].description.startswith("Apporter une méthodologie éprouvée")

    citoyennete = list(fiche("Citoyenneté").sous_actions.all())
    assert [a.numero for a in citoyennete] == ["1", "2", "3"]
    assert citoyennete[1].titre == "Appuyer l’émergence de pôles ressources à la vie associative"
    assert citoyennete[2].titre.startswith("Décliner la démarche de Développement Social Local")
    assert citoyennete[2].description == (
        "-  la jeunesse\n"
        "-  le   vieillissement et  l’intergénérationnel\n"
        "-  la lutte contre les précarités\n"
        "-  l’intégration des personnes en situation de handicap"
    )


def test_the_department_is_the_contracts_financer_its_siret_and_years_left_to_enter(recap):
    contrat = Contrat.objects.select_related("financeur").get()
    financeur = contrat.financeur
    assert (financeur.nom, financeur.sigle, financeur.nature) == (
        "Département du Nord",
        "CG59",
        Nature.COLLECTIVITE,
    )
    assert financeur.siret == ""  # the document does not give it: the staff enter it
    assert (contrat.annee_debut, contrat.annee_fin) == (None, None)  # "6 ans", not which years
    # One CG59; its territorial direction (the "DT du CG59" of the fiches) stays another.
    assert list(Structure.objects.filter(sigle__iexact="CG59")) == [financeur]
    assert structure("la DT du CG59") != financeur
