"""The fiches and their financing lines as CSV and JSON open data (the recap workbook:
workbook.py)."""

import json
import textwrap
from collections.abc import Iterator
from itertools import chain

from contrat.spreadsheets import _is_blank, csv_pieces, safe_cell

from .plan import line_values
from .resources import FicheActionResource, plain_amount, with_export_relations
from .subventions import stream_subventions_csv


def _french_number(amount) -> str:
    """12000.00 -> '12000', 1000.50 -> '1000,5': numbers as the other CSV writes them."""
    value = plain_amount(amount)
    return "" if value is None else str(value).replace(".", ",")


# Rows written between two pieces of the streamed response: small pieces, flat memory.
STREAM_ROWS = 100
STREAM_LINES = 500  # financing lines, shorter
# Fiches read per query, with their prefetched rows: the memory a stream holds at once. The
# process writing the JSON of 10,000 fiches peaks, under PostgreSQL, at 95 MB with 500, 87 MB
# with 200, 84 MB with 100 (SQLite: 83, 78, 75 MB; docs/benchmarks.md). 200: the editor's
# download of 200 fiches stays one read (its query budget, tests/actions/test_drafts.py).
CHUNK_SIZE = 200


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


def _financement_cells(line) -> list:
    (slug, titre, f_slug, f_nom, annee, nature, prevu, accorde, verse, date, ref, note) = line
    return [
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


def stream_financements_csv(queryset) -> Iterator[bytes]:
    """Every financing line of the fiches, like actions.csv (docs/open-data.md), as the lines
    are read."""
    lines = (_financement_cells(line) for line in line_values(queryset))
    return _csv_pieces(FINANCEMENTS_CSV_HEADERS, lines, every=STREAM_LINES)


# --- the fiches: CSV and JSON --------------------------------------------------------------


def _export_fiches(queryset):
    """The fiches with what the exports read, CHUNK_SIZE at a time (prefetches included)."""
    for fiche in with_export_relations(queryset).iterator(chunk_size=CHUNK_SIZE):
        yield fiche
        # A prefetched participation or budget line caches its fiche, which holds it: cycles
        # that only the cyclic garbage collector frees, several chunks later. Broken here, a
        # chunk is freed as soon as it is written.
        fiche._prefetched_objects_cache = {}


def _csv_pieces(headers, rows, *, every: int) -> Iterator[bytes]:
    """A CSV for French Excel, UTF-8 with a BOM and `;`, formulas neutralised, blank rows left
    out: its pieces, `every` rows each, as `rows` are read."""
    cleaned = ([safe_cell(value) for value in row] for row in rows)
    kept = (row for row in cleaned if any(not _is_blank(value) for value in row))
    return csv_pieces(chain([headers], kept), every=every, prefix="\ufeff", delimiter=";")


def stream_actions_csv(queryset) -> Iterator[bytes]:
    """One row per fiche, the resource's columns, as the fiches are read."""
    resource = FicheActionResource()
    rows = (resource.export_resource(fiche) for fiche in _export_fiches(queryset))
    return _csv_pieces(resource.get_export_headers(), rows, every=STREAM_ROWS)


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


def _contract_grants(queryset) -> Iterator[bytes]:
    """subventions.csv: the current contract's financer's grants (its view has checked that
    the file can be written)."""
    from contrat.current import current_contrat

    return stream_subventions_csv(queryset, current_contrat().financeur)


STREAMS = {
    "actions-csv": stream_actions_csv,
    "actions-json": stream_actions_json,
    "financements-csv": stream_financements_csv,
    "subventions-csv": _contract_grants,
}
KINDS = (*STREAMS, "recap-pdf")


def write_actions_file(*, kind: str, query: str, user, path) -> None:
    """The CSV or JSON (`kind`, written piece by piece: the fiches, their financing lines, the
    contract financer's grants) or the recap PDF of the fiches the list's filters `query`
    select, published ones only, or those `user` sees, to `path`."""
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


def process_command(*, kind: str, query: str, user, path) -> list[str]:
    """The command line of `write_in_process`: `manage.py ecrire_donnees`, at the priority
    EXPORT_STREAM_NICE."""
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
    return command


def write_in_process(*, kind: str, query: str, user, path) -> None:
    """`write_actions_file` in a process of its own at a lower priority: seconds of CPU for
    10,000 fiches, which the web worker's other threads would otherwise wait for (Python runs
    one thread at a time per process). That process loads what writing needs, not the views
    (no system checks): under 90 MB for 10,000 fiches (docs/benchmarks.md)."""
    import subprocess

    from django.conf import settings

    command = process_command(kind=kind, query=query, user=user, path=path)
    subprocess.run(command, check=True, timeout=settings.EXPORT_STREAM_SECONDS)
