"""Bilans of the visible fiches per enjeu and per orientation, for the home and enjeu pages."""

from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from enjeux.models import Contrat, Enjeu, Orientation

from .budget import Bilan


def _bilan_annotations(fiches) -> dict:
    """SQL for `bilan_nombre` and `bilan_budget`: how many of `fiches` (already narrowed to
    the outer row) and the sum of their budgets, NULL while none has a budget; not how many
    have none (one more subquery per row, for a number the page does not show).
    `fiches` all belong to one contract, so grouping by it makes exactly one group."""
    grouped = fiches.bilans("contrat")
    return {
        "bilan_nombre": Coalesce(Subquery(grouped.values("nombre")), 0),
        "bilan_budget": Subquery(grouped.values("budget")),
    }


def _fiches_citing_enjeu(fiches):
    """The `fiches` citing the outer query's enjeu through one of its orientations or directly.
    One IN over a UNION: a fiche citing two orientations of the enjeu counts once, and
    PostgreSQL hashes the union instead of probing each fiche."""
    enjeu = OuterRef(OuterRef("pk"))
    par_orientation = Orientation.objects.filter(enjeu=enjeu, fiches__isnull=False)
    directes = Enjeu.objects.filter(pk=enjeu, fiches_sans_orientation__isnull=False)
    return fiches.filter(
        pk__in=par_orientation.order_by()
        .values("fiches")
        .union(directes.order_by().values("fiches_sans_orientation"))
    )


def _orientations_with_bilans(fiches):
    return Orientation.objects.annotate(
        **_bilan_annotations(fiches.filter(orientations=OuterRef("pk")))
    )


def with_bilans(enjeux, fiches):
    """`enjeux` annotated with their bilan of `fiches`, their orientations prefetched with
    theirs (subqueries per row: fine for one enjeu's page; `enjeux_with_bilans` groups all the
    contract's pairs at once instead, and tests/enjeux checks both give the same numbers);
    `attach_bilans` turns the annotations into `bilan` attributes once fetched.

    `fiches` is a `FicheActionQuerySet`. A fiche counts once in each of its
    orientations and once per enjeu (through an orientation or cited directly), so the
    orientations' totals may add up to more than their enjeu's."""
    return enjeux.annotate(**_bilan_annotations(_fiches_citing_enjeu(fiches))).prefetch_related(
        Prefetch("orientations", queryset=_orientations_with_bilans(fiches))
    )


def _set_bilan(item) -> None:
    item.bilan = Bilan(nombre=item.bilan_nombre, budget=item.bilan_budget, sans_budget=None)


def attach_bilans(enjeu: Enjeu) -> Enjeu:
    """Give an enjeu from `with_bilans` and its orientations their `bilan`."""
    _set_bilan(enjeu)
    for orientation in enjeu.orientations.all():
        _set_bilan(orientation)
    return enjeu


def orientation_bilans(fiches) -> dict[int, Bilan]:
    """{orientation id: bilan of the `fiches` citing it}, for every orientation at once: one
    GROUP BY over the fiche-orientation pairs, each pair joined to its fiche's budget lines."""
    rows = fiches.filter(orientations__isnull=False).bilans("orientations")
    return {row["orientations"]: Bilan.from_row(row) for row in rows}


def enjeu_pairs(fiches, enjeu_ids=None):
    """Each (fiche, enjeu) pair once, as two querysets of `fiches` for a UNION ALL: reached
    through the fiche's first orientation of that enjeu (grouped by "orientations__enjeu"),
    and cited directly through none of its orientations (grouped by "enjeux"). Only the
    enjeux of `enjeu_ids`, if given. Each condition sits in the same filter() call as the join
    it refers to, so that Django reuses that join."""
    premiere = Q(orientations__enjeu__isnull=False)
    directe = Q(enjeux__isnull=False)
    if enjeu_ids is not None:
        premiere &= Q(orientations__enjeu__in=enjeu_ids)
        directe &= Q(enjeux__in=enjeu_ids)
    premiere_orientation = fiches.filter(
        premiere,
        ~Exists(
            Orientation.objects.filter(
                fiches=OuterRef("pk"),
                enjeu=OuterRef("orientations__enjeu"),
                pk__lt=OuterRef("orientations"),
            )
        ),
    )
    directe_seulement = fiches.filter(
        directe,
        ~Exists(Orientation.objects.filter(fiches=OuterRef("pk"), enjeu=OuterRef("enjeux"))),
    )
    return premiere_orientation, directe_seulement


def _enjeu_bilans(fiches) -> dict[int, Bilan]:
    """{enjeu id: bilan of the `fiches` citing it through an orientation or directly}, in one
    query: the (fiche, enjeu) pairs reached through the fiche's first orientation of that enjeu,
    UNION ALL those cited directly and through none of its orientations; so each pair counts
    once, joined to its fiche's budget lines. Both EXISTS sit in the same
    filter() call as the join they refer to, so that Django reuses that join."""
    premiere_orientation, directe_seulement = enjeu_pairs(fiches)
    rows = premiere_orientation.bilans("orientations__enjeu").union(
        directe_seulement.bilans("enjeux"), all=True
    )
    bilans: dict[int, Bilan] = {}
    for row in rows.values("orientations__enjeu", "nombre", "sans_budget", "budget"):
        enjeu_id = row["orientations__enjeu"]
        bilans[enjeu_id] = bilans.get(enjeu_id, Bilan()) + Bilan.from_row(row)
    return bilans


def enjeu_bilans_by(fiches, *fields) -> dict[tuple, Bilan]:
    """{(enjeu id, *values of the fiche's `fields`): bilan of the `fiches` citing that enjeu},
    each (fiche, enjeu) pair once (`enjeu_pairs`): one query. The synthesis counts the
    statuses per enjeu this way."""
    premiere_orientation, directe_seulement = enjeu_pairs(fiches)
    rows = premiere_orientation.bilans("orientations__enjeu", *fields).union(
        directe_seulement.bilans("enjeux", *fields), all=True
    )
    bilans: dict[tuple, Bilan] = {}
    for row in rows.values("orientations__enjeu", *fields, "nombre", "sans_budget", "budget"):
        key = (row["orientations__enjeu"], *(row[field] for field in fields))
        bilans[key] = bilans.get(key, Bilan()) + Bilan.from_row(row)
    return bilans


def sans_enjeu(fiches):
    """The `fiches` that cite no enjeu, through an orientation or directly."""
    return fiches.exclude(Q(orientations__enjeu__isnull=False) | Q(enjeux__isnull=False))


def enjeux_with_bilans(contrat: Contrat, fiches) -> tuple[list[Enjeu], list[Orientation], Bilan]:
    """The contract's enjeux with their orientations, each carrying a `bilan` of `fiches`,
    the orientations cited without an enjeu, and the overall bilan: in six queries, whatever
    the number of fiches.

    `fiches` is a `FicheActionQuerySet`. A fiche counts once in each of its
    orientations and once per enjeu (through an orientation or cited directly), so the
    orientations' totals may add up to more than their enjeu's."""
    enjeux = list(Enjeu.objects.filter(contrat=contrat).prefetch_related("orientations"))
    sans_enjeu = list(
        Orientation.objects.filter(enjeu__isnull=True, fiches__contrat=contrat).distinct()
    )
    par_enjeu = _enjeu_bilans(fiches)
    par_orientation = orientation_bilans(fiches)
    for enjeu in enjeux:
        enjeu.bilan = par_enjeu.get(enjeu.pk, Bilan())
        for orientation in enjeu.orientations.all():
            orientation.bilan = par_orientation.get(orientation.pk, Bilan())
    for orientation in sans_enjeu:
        orientation.bilan = par_orientation.get(orientation.pk, Bilan())
    # An orientation without enjeu only matters where it leads to fiches the visitor may see.
    return enjeux, [o for o in sans_enjeu if o.bilan.nombre], fiches.bilan()
