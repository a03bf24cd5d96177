"""The frozen recap's data: built from today's fiches by the recap's and the plan's own
builders (actions/recap.py, actions/plan.py), stored as JSON in a snapshot, and read back.

Schema (version 1), every amount a string of euros with cents ("12000.00") or null:

    {"schema": 1,
     "fiches": [{"pk", "slug", "titre", "statut", "statut_libelle",
                 "enjeux": ["Enjeu 1 : …"], "orientations": ["1.2 …"],
                 "porteurs": ["…"], "budget_total",
                 "financements": [{"financeur", "financeur_pk", "annee", "nature",
                                   "prevu", "accorde", "verse"}],
                 "indicateurs": [{"pk", "nom", "unite", "reference": [valeur, annee],
                                  "cible": [valeur, annee], "derniere": [valeur, annee] | null,
                                  "atteint"}]}],                        # in recap order
     "totaux": {"nombre", "budget", "sans_budget"},
     "par_enjeu": [{"libelle", "nombre", "budget", "sans_budget"}],   # RecapBilans.subtotals
     "financeurs": {"annees": [2026, …],
                    "lignes": [{"pk", "nom", "sigle", "slug",
                                "cellules": {"2026": {"prevu", "accorde", "verse"}}}]}}

A fiche is known by its pk across snapshots (its slug may change); the financers' names are
the ones of that day."""

from dataclasses import dataclass
from decimal import Decimal

from actions.budget import Bilan
from actions.choices import Role, Statut
from actions.plan import MEASURE_KEYS, Amounts, Matrix, financing_matrix, lines_of
from actions.recap import RecapBilans, fiche_data, recap_row
from actions.suivi import Indicateur, ValeurIndicateur
from structures.models import Structure

SCHEMA = 1
# Today's fiches are read in one chunk (five queries) up to this many: a page comparing a
# snapshot with today pays a constant number of queries (the 10,000 fiches of the benchmarks
# fit; SQLite takes up to 32,766 parameters in a query).
ONE_CHUNK = 20_000
PORTEURS = (Role.PORTEUR, Role.CO_PORTEUR)


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def decimal_or_none(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _bilan_json(bilan: Bilan) -> dict:
    return {"nombre": bilan.nombre, "budget": money(bilan.budget), "sans_budget": bilan.sans_budget}


def _amounts_json(amounts: Amounts) -> dict:
    return {key: money(amounts.of(key)) for key in MEASURE_KEYS}


def indicator_data(fiches) -> dict[int, list[dict]]:
    """{fiche pk: its indicators with their latest value}, in two queries."""
    ids = fiches.order_by().values("pk")
    latest: dict[int, tuple[Decimal, int]] = {}
    values = ValeurIndicateur.objects.filter(indicateur__fiche__in=ids).order_by(
        "indicateur", "annee"
    )
    for indicateur_id, annee, valeur in values.values_list("indicateur", "annee", "valeur"):
        latest[indicateur_id] = (valeur, annee)  # the last year read wins
    found: dict[int, list[dict]] = {}
    for indicateur in Indicateur.objects.filter(fiche__in=ids).order_by("fiche", "ordre", "pk"):
        last = latest.get(indicateur.pk)
        found.setdefault(indicateur.fiche_id, []).append(
            {
                "pk": indicateur.pk,
                "nom": indicateur.nom,
                "unite": indicateur.unite,
                "reference": [str(indicateur.valeur_reference), indicateur.annee_reference],
                "cible": [str(indicateur.valeur_cible), indicateur.annee_cible],
                "derniere": None if last is None else [str(last[0]), last[1]],
                "atteint": indicateur.atteint(last[0] if last else None),
            }
        )
    return found


def snapshot_data(fiches, *, chunk_size: int = ONE_CHUNK) -> dict:
    """The JSON of the recap of `fiches` (a FicheActionQuerySet in recap order)."""
    extra = {pk: (slug, statut) for pk, slug, statut in fiches.values_list("pk", "slug", "statut")}
    financements: dict[int, list] = {}
    lines = lines_of(fiches).order_by("fiche", "annee", "financeur__nom", "nature", "pk")
    for fiche_id, *line in lines.values_list(
        "fiche", "financeur", "financeur__nom", "annee", "nature", "prevu", "accorde", "verse"
    ):
        financeur_pk, nom, annee, nature, prevu, accorde, verse = line
        financements.setdefault(fiche_id, []).append(
            {
                "financeur": nom,
                "financeur_pk": financeur_pk,
                "annee": annee,
                "nature": nature,
                "prevu": money(prevu),
                "accorde": money(accorde),
                "verse": money(verse),
            }
        )
    indicateurs = indicator_data(fiches)
    bilans = RecapBilans()
    rows = []
    for data in fiche_data(fiches, chunk_size=chunk_size):
        row = recap_row(data)
        bilans.add(row)
        slug, statut = extra.get(row.pk, ("", Statut.PROPOSEE))
        rows.append(
            {
                "pk": row.pk,
                "slug": slug,
                "titre": row.titre,
                "statut": statut,
                "statut_libelle": Statut(statut).label,
                "enjeux": [str(enjeu) for enjeu in row.enjeux],
                "orientations": [str(orientation) for orientation in data.orientations],
                "porteurs": [p.structure.nom for p in row.participations if p.role in PORTEURS],
                "budget_total": money(row.budget_total),
                "financements": financements.get(row.pk, []),
                "indicateurs": indicateurs.get(row.pk, []),
            }
        )
    matrix = financing_matrix(fiches)
    return {
        "schema": SCHEMA,
        "fiches": rows,
        "totaux": _bilan_json(bilans.total),
        "par_enjeu": [
            {"libelle": label, **_bilan_json(bilan)} for label, bilan in bilans.subtotals()
        ],
        "financeurs": {
            "annees": matrix.years,
            "lignes": [
                {
                    "pk": structure.pk,
                    "nom": structure.nom,
                    "sigle": structure.sigle,
                    "slug": structure.slug,
                    "cellules": {
                        str(year): _amounts_json(matrix.cells[(structure.pk, year)])
                        for year in matrix.years
                        if (structure.pk, year) in matrix.cells
                    },
                }
                for structure in matrix.structures
            ],
        },
    }


# --- reading it back --------------------------------------------------------------------------


def _bilan(data: dict) -> Bilan:
    return Bilan(
        nombre=data["nombre"],
        budget=decimal_or_none(data["budget"]),
        sans_budget=data["sans_budget"],
    )


def _amounts(data: dict) -> Amounts:
    return Amounts(*(Decimal(data[key] or 0) for key in MEASURE_KEYS))


@dataclass
class Frozen:
    """A snapshot's data (or today's, built the same way) as the pages read it."""

    data: dict

    @property
    def fiches(self) -> list[dict]:
        return self.data["fiches"]

    @property
    def total(self) -> Bilan:
        return _bilan(self.data["totaux"])

    @property
    def subtotals(self) -> list[tuple[str, Bilan]]:
        return [(item["libelle"], _bilan(item)) for item in self.data["par_enjeu"]]

    @property
    def indicators(self) -> list[dict]:
        """Every fiche's indicators, in recap order, each with its fiche's title and slug
        (snapshots arrested before the indicators existed have none)."""
        return [
            {**indicateur, "fiche_titre": fiche["titre"], "fiche_slug": fiche["slug"]}
            for fiche in self.fiches
            for indicateur in fiche.get("indicateurs", [])
        ]

    @property
    def matrix(self) -> Matrix:
        """The plan's Matrix again, so that its tables (and their template) serve as they are."""
        plan = self.data["financeurs"]
        structures, cells = [], {}
        for line in plan["lignes"]:
            structures.append(
                Structure(pk=line["pk"], nom=line["nom"], sigle=line["sigle"], slug=line["slug"])
            )
            for year, amounts in line["cellules"].items():
                cells[(line["pk"], int(year))] = _amounts(amounts)
        return Matrix(years=plan["annees"], structures=structures, cells=cells)
