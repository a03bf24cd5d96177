"""Building fixtures/recap.json: the source's rows and the curated tables as Django records."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify

from .budget_cell import parse_budget
from .curated.fiches import FICHES, SOUS_ACTIONS
from .curated.referential import CONTRAT, ENJEUX, FINANCEUR, ORIENTATIONS
from .curated.structures import CONTACTS, STRUCTURES
from .source import SOURCE_PATH, read_source

FIXTURE_PATH = Path(settings.BASE_DIR) / "fixtures" / "recap.json"

EXPECTED_ROWS = 29

# Raw loading fills no auto_now field; a fixed date keeps the generator deterministic.
TIMESTAMP = "2025-01-01T00:00:00Z"


def fold(text: str) -> str:
    """Lower case, no accents, typographic apostrophes and spaces made plain."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("œ", "oe"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(text.split())


def _orientation_code_map() -> dict[str, int]:
    return {code: pk for pk, (code, _titre, _autres) in enumerate(ORIENTATIONS, start=1)}


def build_fixture_records(text: str) -> list[dict]:
    """The fixture's records for the whole source text, with explicit primary keys."""
    source = read_source(text)
    if len(source.rows) != EXPECTED_ROWS or len(FICHES) != EXPECTED_ROWS:
        raise ValueError(f"{len(source.rows)} fiches lues, {EXPECTED_ROWS} attendues.")

    records: list[dict] = []
    contrat_pk = 1
    financeur_pk = [spec.nom for spec in STRUCTURES].index(FINANCEUR) + 1
    records.append(
        {
            "model": "enjeux.contrat",
            "pk": contrat_pk,
            "fields": {
                **CONTRAT,
                "pied_de_page": source.footer,
                # The source says "6 ans", not which years: the staff enter them.
                "annee_debut": None,
                "annee_fin": None,
                "financeur": financeur_pk,
            },
        }
    )
    enjeu_pk = {numero: numero for numero in ENJEUX}
    for numero, titre in ENJEUX.items():
        records.append(
            {
                "model": "enjeux.enjeu",
                "pk": enjeu_pk[numero],
                "fields": {
                    "contrat": contrat_pk,
                    "numero": numero,
                    "titre": titre,
                    "description": "",
                },
            }
        )
    orientation_pk = _orientation_code_map()
    for code, titre, autres in ORIENTATIONS:
        enjeu, numero = (int(part) for part in code.split(".")) if code else (None, None)
        records.append(
            {
                "model": "enjeux.orientation",
                "pk": orientation_pk[code],
                "fields": {
                    "enjeu": enjeu_pk[enjeu] if enjeu else None,
                    "numero": numero,
                    "titre": titre,
                    "libelles_cites": "\n".join(autres),
                },
            }
        )

    structure_pk: dict[str, int] = {}
    slugs: set[str] = set()
    for pk, spec in enumerate(STRUCTURES, start=1):
        slug = slugify(spec.nom)[:120]
        if spec.nom in structure_pk or slug in slugs:
            raise ValueError(f"Structure en double : {spec.nom}")
        structure_pk[spec.nom] = pk
        slugs.add(slug)
        records.append(
            {
                "model": "structures.structure",
                "pk": pk,
                "fields": {
                    "nom": spec.nom,
                    "slug": slug,
                    "sigle": spec.sigle,
                    "nature": str(spec.nature),
                    "site_web": "",
                    "siret": "",
                    "rna": "",
                    "description": spec.description,
                    "autres_graphies": "\n".join(spec.graphies),
                },
            }
        )
    for pk, (structure, nom, fonction) in enumerate(CONTACTS, start=1):
        records.append(
            {
                "model": "structures.contact",
                "pk": pk,
                "fields": {
                    "structure": structure_pk[structure],
                    "nom": nom,
                    "fonction": fonction,
                    "email": "",
                    "telephone": "",
                },
            }
        )

    fiches, participations, lignes, sous_actions = [], [], [], []
    spellings = {
        spec.nom: [fold(name) for name in (spec.nom, *spec.graphies)] for spec in STRUCTURES
    }
    for row, spec in zip(source.rows, FICHES, strict=True):
        if row.titre != spec.titre:
            raise ValueError(f"Fiche {row.ordre} : « {row.titre} » lu, « {spec.titre} » attendu.")
        for participation in spec.participations:
            # A structure must be named in its fiche, else the reading has drifted.
            where = fold(f"{row.structure_texte}\n{row.descriptif}")
            if not any(name in where for name in spellings[participation.nom]):
                raise ValueError(
                    f"Fiche {row.ordre} : « {participation.nom} » n'est pas dans le texte."
                )
        fiches.append(
            {
                "model": "actions.ficheaction",
                "pk": row.ordre,
                "fields": {
                    "contrat": contrat_pk,
                    "ordre": row.ordre,
                    "titre": row.titre,
                    "slug": slugify(row.titre)[:200].strip("-"),
                    "descriptif": row.descriptif,
                    "enjeu_texte": row.enjeu_texte,
                    "orientations": [orientation_pk[code] for code in spec.orientations],
                    "enjeux": [enjeu_pk[numero] for numero in spec.enjeux],
                    "budget_texte": row.budget_texte,
                    "structure_texte": row.structure_texte,
                    "statut": "proposee",
                    "etat": "publiee",
                    "cree_le": TIMESTAMP,
                    "modifie_le": TIMESTAMP,
                },
            }
        )
        for ordre, participation in enumerate(spec.participations, start=1):
            participations.append(
                {
                    "model": "actions.participation",
                    "pk": len(participations) + 1,
                    "fields": {
                        "fiche": row.ordre,
                        "structure": structure_pk[participation.nom],
                        "role": participation.role,
                        "precision": participation.precision,
                        "ordre": ordre,
                    },
                }
            )
        for ordre, line in enumerate(parse_budget(row.budget_texte), start=1):
            lignes.append(
                {
                    "model": "actions.lignebudget",
                    "pk": len(lignes) + 1,
                    "fields": {
                        "fiche": row.ordre,
                        "montant": f"{line.montant:.2f}",
                        "periodicite": line.periodicite,
                        "nombre_annees": line.nombre_annees,
                        "nature": "",
                        "financeur": None,
                        "note": "",
                        "ordre": ordre,
                    },
                }
            )
        reader = SOUS_ACTIONS.get(row.titre)
        items = reader(row.descriptif) if reader else []
        first_pk = len(sous_actions) + 1
        for ordre, item in enumerate(items, start=1):
            sous_actions.append(
                {
                    "model": "actions.sousaction",
                    "pk": len(sous_actions) + 1,
                    "fields": {
                        "fiche": row.ordre,
                        "parent": None if item.parent is None else first_pk + item.parent,
                        "nature": item.nature,
                        "numero": item.numero,
                        "titre": item.titre,
                        "description": item.description,
                        "ordre": ordre,
                    },
                }
            )
    slugs = [fiche["fields"]["slug"] for fiche in fiches]
    if len(set(slugs)) != len(slugs):
        raise ValueError("Deux fiches auraient le même slug.")
    return records + fiches + participations + lignes + sous_actions


def render_fixture(records: list[dict]) -> str:
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def build_recap_fixture(*, source: Path = SOURCE_PATH, output: Path = FIXTURE_PATH) -> list[dict]:
    """Read the source text and (re)write the fixture; the same text gives the same bytes."""
    records = build_fixture_records(Path(source).read_text(encoding="utf-8"))
    Path(output).write_text(render_fixture(records), encoding="utf-8")
    return records
