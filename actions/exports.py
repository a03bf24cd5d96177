"""The fiches and their financing lines as CSV and JSON open data (the recap workbook:
workbook.py)."""

import csv
import io
import json
import textwrap
from collections.abc import Iterator

import tablib

from contrat.spreadsheets import CSV, _is_blank, safe_cell

from .plan import line_values
from .recap import CHUNK_SIZE
from .resources import FicheActionResource, plain_amount, with_export_relations


def _french_number(amount) -> str:
    """12000.00 -> '12000', 1000.50 -> '1000,5': numbers as the other CSV writes them."""
    value = plain_amount(amount)
    return "" if value is None else str(value).replace(".", ",")


FINANCEMENTS_CSV_HEADERS = (
    "fiche",
    "fiche_titre",
    "financeur",
    "financeur_nom",
    "annee",
    "nature",
    "prevu",
    "accorde",
    "verse",
    "date_decision",
    "reference_decision",
    "note",
)


def build_financements_csv(queryset) -> bytes:
    """Every financing line of the fiches: UTF-8 with a BOM and `;`, formulas neutralised,
    like actions.csv (docs/open-data.md)."""
    dataset = tablib.Dataset(headers=list(FINANCEMENTS_CSV_HEADERS))
    for (
        slug,
        titre,
        f_slug,
        f_nom,
        annee,
        nature,
        prevu,
        accorde,
        verse,
        date,
        ref,
        note,
    ) in line_values(queryset):
        dataset.append(
            [
                slug,
                titre,
                f_slug,
                f_nom,
                annee,
                nature,
                _french_number(prevu),
                _french_number(accorde),
                _french_number(verse),
                date.isoformat() if date else "",
                ref,
                note,
            ]
        )
    return CSV().export_data(dataset).encode("utf-8")


# --- open data: CSV and JSON, streamed ------------------------------------------------------

# Rows written between two pieces of the streamed response: small pieces, flat memory.
STREAM_ROWS = 100


def _export_fiches(queryset):
    """The fiches with what the exports read, CHUNK_SIZE at a time (prefetches included)."""
    return with_export_relations(queryset).iterator(chunk_size=CHUNK_SIZE)


def stream_actions_csv(queryset) -> Iterator[bytes]:
    """One row per fiche, the resource's columns; UTF-8 with a BOM and `;` for French Excel,
    formulas neutralised: the pieces of the file, a few rows each, as the fiches are read."""
    resource = FicheActionResource()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(resource.get_export_headers())
    for count, fiche in enumerate(_export_fiches(queryset), 1):
        row = [safe_cell(value) for value in resource.export_resource(fiche)]
        if any(not _is_blank(value) for value in row):
            writer.writerow(row)
        if count % STREAM_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def build_actions_csv(queryset) -> bytes:
    return b"".join(stream_actions_csv(queryset))


def _nested(fiche) -> dict:
    return {
        "orientations": [
            {
                "code": orientation.code,
                "titre": orientation.titre,
                "enjeu": orientation.enjeu.numero if orientation.enjeu_id else None,
            }
            for orientation in fiche.orientations.all()
        ],
        "enjeux": [{"numero": e.numero, "titre": e.titre} for e in fiche.enjeux.all()],
        "lignes_budget": [
            {
                "montant": plain_amount(ligne.montant),
                "periodicite": ligne.periodicite,
                "nombre_annees": ligne.nombre_annees,
                "total": plain_amount(ligne.total),
                "libelle": ligne.libelle,
                "nature": ligne.nature,
                "financeur": ligne.financeur.slug if ligne.financeur_id else None,
                "note": ligne.note,
            }
            for ligne in fiche.lignes_budget.all()
        ],
        "structures": [
            {
                "slug": participation.structure.slug,
                "nom": participation.structure.nom,
                "sigle": participation.structure.sigle,
                "role": participation.role,
                "role_libelle": participation.get_role_display(),
                "precision": participation.precision,
            }
            for participation in fiche.participations.all()
        ],
    }


def _json_item(resource, fields, names, fiche) -> dict:
    values = [resource.export_field(f, fiche, force_native_type=True) for f in fields]
    item = dict(zip(names, values, strict=True))
    item["statut"] = fiche.statut
    item["statut_libelle"] = fiche.get_statut_display()
    item["etat"] = fiche.etat
    item["etat_libelle"] = fiche.get_etat_display()
    item.update(_nested(fiche))
    return item


def stream_actions_json(queryset) -> Iterator[bytes]:
    """A list of fiches: the CSV's columns, with structures, orientations, enjeux and budget
    lines as nested lists instead of lines of text. Streamed as the array's items are read,
    the same bytes as `json.dumps(items, indent=2)` of the whole list."""
    resource = FicheActionResource()
    fields = resource.get_export_fields()
    names = [f.column_name for f in fields]
    pieces, first = [], True
    for count, fiche in enumerate(_export_fiches(queryset), 1):
        text = json.dumps(_json_item(resource, fields, names, fiche), ensure_ascii=False, indent=2)
        pieces.append(("[\n" if first else ",\n") + textwrap.indent(text, "  "))
        first = False
        if count % STREAM_ROWS == 0:
            yield "".join(pieces).encode("utf-8")
            pieces = []
    pieces.append("[]" if first else "\n]")
    yield "".join(pieces).encode("utf-8")


def build_actions_json(queryset) -> bytes:
    return b"".join(stream_actions_json(queryset))


# --- the CSV and JSON of many fiches, written by a process of their own -----------------------

STREAMS = {"actions-csv": stream_actions_csv, "actions-json": stream_actions_json}
KINDS = (*STREAMS, "recap-pdf")


def write_actions_file(*, kind: str, query: str, user, path) -> None:
    """The CSV or JSON (`kind`, written piece by piece) or the recap PDF of the fiches the
    list's filters `query` select, published ones only, or those `user` sees, to `path`."""
    from django.http import QueryDict

    from .filters import FicheFilter
    from .models import FicheAction

    fiches = FicheAction.objects.visible_to(user) if user else FicheAction.objects.published()
    filterset = FicheFilter(QueryDict(query), queryset=fiches.for_listing())
    if kind == "recap-pdf":
        from contrat.current import current_contrat

        from .pdf import build_recap_pdf

        content = build_recap_pdf(
            filterset.qs, filters=filterset.describe(), contrat=current_contrat()
        )
        with open(path, "wb") as out:
            out.write(content)
        return
    with open(path, "wb") as out:
        for piece in STREAMS[kind](filterset.qs):
            out.write(piece)


def write_in_process(*, kind: str, query: str, user, path) -> None:
    """`write_actions_file` in a process of its own (`manage.py ecrire_donnees`), at the
    priority EXPORT_STREAM_NICE: seconds of CPU for 10,000 fiches, which the web worker's
    other threads would otherwise wait for (Python runs one thread at a time per process)."""
    import subprocess
    import sys

    from django.conf import settings

    command = [
        "nice",
        "-n",
        str(settings.EXPORT_STREAM_NICE),
        sys.executable,
        str(settings.BASE_DIR / "manage.py"),
        "ecrire_donnees",
        kind,
        str(path),
        "--requete",
        query,
    ]
    if user is not None:
        command += ["--compte", str(user.pk)]
    subprocess.run(command, check=True, timeout=settings.EXPORT_STREAM_SECONDS)
