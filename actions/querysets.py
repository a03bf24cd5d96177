"""Chainable reads of fiches actions; every page's select/prefetch lives here, once."""

from django.db import connections, models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Length

from contrat.search import SearchQuery, parse_query, search_index_flush
from contrat.text import fold
from structures.models import Structure

from .budget import BUDGET_FIELD, Bilan, bilan_aggregates, ligne_total_expression
from .choices import Etat, Role
from .suivi import Indicateur


class Fold(Func):
    """CONTRAT_FOLD(text): the SQL twin of `contrat.text.fold` (no accents, lower case).

    On PostgreSQL, `lower(unaccent(text))` declared IMMUTABLE by migration 0008, so that the
    trigram indexes of the search can be built on it; on SQLite, the Python `fold` itself."""

    function = "CONTRAT_FOLD"
    arity = 1
    output_field = TextField()


def register_sqlite_functions(sender, connection, **kwargs):
    """Give each new SQLite connection the CONTRAT_FOLD function that PostgreSQL gets from
    migration 0008 (connected to `connection_created` in ActionsConfig.ready)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("CONTRAT_FOLD", 1, fold, deterministic=True)


class FicheActionQuerySet(models.QuerySet):
    def _row_model(self, relation: str):
        """The model of a fiche's rows (participations, lignes_budget, sous_actions), read from
        the relation: models.py imports this module, so this module does not import it."""
        return self.model._meta.get_field(relation).related_model

    def published(self):
        return self.filter(etat=Etat.PUBLIEE)

    def carried_by_user(self, user):
        """The fiches one of `user`'s structures carries as porteur or co-porteur: what a
        contributor may edit (see actions/permissions.py)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            pk__in=self.model.objects.filter(
                participations__role__in=(Role.PORTEUR, Role.CO_PORTEUR),
                participations__structure__representants=user,
            ).values("pk")
        )

    def _unpublished_visible(self, user) -> Q | None:
        """Which drafts and fiches in review `user` sees beside the published ones: those it
        may edit (every one for an editor, its structures' for a contributor), so None for
        the public and for read-only accounts."""
        if not (user.is_authenticated and user.has_perm("actions.change_ficheaction")):
            return None
        unpublished = Q(etat__in=(Etat.BROUILLON, Etat.EN_RELECTURE))
        if user.has_perm("actions.change_any_ficheaction"):
            return unpublished
        return unpublished & Q(pk__in=self.model.objects.carried_by_user(user).values("pk"))

    def unpublished_scope(self, user) -> str:
        """Which unpublished fiches `user` sees, as a name shared by everyone who sees the
        same ones: "" (none: the public, read-only accounts), "tous" (an editor: every draft
        and fiche in review), "compte-<id>" (a contributor: its structures', which the data
        version follows). A download's cache key takes it: see actions/views/fiches.py."""
        unpublished = self._unpublished_visible(user)
        if unpublished is None:
            return ""
        return "tous" if user.has_perm("actions.change_any_ficheaction") else f"compte-{user.pk}"

    def unpublished(self):
        """The drafts and fiches in review among these (archived fiches are not counted)."""
        return self.filter(etat__in=(Etat.BROUILLON, Etat.EN_RELECTURE))

    def visible_to(self, user):
        """What the portal's lists, totals, search and exports show: published fiches, and
        the unpublished ones `user` may edit. Archived fiches are in no list."""
        unpublished = self._unpublished_visible(user)
        if unpublished is None:
            return self.published()
        return self.filter(Q(etat=Etat.PUBLIEE) | unpublished)

    def reachable_by(self, user):
        """The fiches whose own page answers: an archived fiche keeps its URL (with a banner);
        a draft or a fiche in review answers only to those who may edit it."""
        unpublished = self._unpublished_visible(user)
        public = Q(etat__in=(Etat.PUBLIEE, Etat.ARCHIVEE))
        if unpublished is None:
            return self.filter(public)
        return self.filter(public | unpublished)

    def for_structure(self, structure, role=None, *, roles=()):
        """The fiches where `structure` takes part: in any role, or in `role`, or in one of
        `roles`."""
        participations = Q(participations__structure=structure)
        if role:
            roles = (role,)
        if roles:
            participations &= Q(participations__role__in=roles)
        ids = self.model.objects.filter(participations).values("pk")
        return self.filter(pk__in=ids)

    def for_enjeu(self, enjeu):
        ids = self.model.objects.filter(Q(orientations__enjeu=enjeu) | Q(enjeux=enjeu)).values("pk")
        return self.filter(pk__in=ids)

    def for_orientation(self, orientation):
        return self.filter(pk__in=self.model.objects.filter(orientations=orientation).values("pk"))

    def with_role(self, role):
        """Fiches where some structure holds `role` (every financed fiche, say)."""
        return self.filter(pk__in=self.model.objects.filter(participations__role=role).values("pk"))

    def search(self, query):
        """The fiches where every term of `query` (a string or a parsed
        `contrat.search.SearchQuery`) appears, stemmed, accent- and case-blind: in the title,
        the descriptif, the enjeu text, a structure's name, acronym or other spellings, or a
        sub-action; a quoted phrase as a phrase. Read from the full-text index
        (actions/search.py), on either engine; annotated for `sorted_by("pertinence")`:
        `search_titre` and `search_descriptif` (1 when every term is found there) and
        `search_rank` (higher is better: PostgreSQL's ts_rank, SQLite's bm25 negated), which
        only orders fiches found in the same places, so both engines mostly agree."""
        parsed = query if isinstance(query, SearchQuery) else parse_query(query)
        if not parsed:
            return self
        search_index_flush(self.db)
        if connections[self.db].vendor == "postgresql":
            return self._search_postgresql(parsed)
        return self._search_sqlite(parsed)

    def _search_postgresql(self, parsed):
        from django.contrib.postgres.search import SearchQuery as TsQuery
        from django.contrib.postgres.search import SearchRank

        # The stems are contrat.search's: 'simple' only reads them (french_stem made the same).
        def tsquery(weight=""):
            return TsQuery(parsed.tsquery(weight), search_type="raw", config="simple")

        document = "recherche__document"
        return self.filter(**{document: tsquery()}).alias(
            search_titre=Case(When(**{document: tsquery("A")}, then=1), default=0),
            search_descriptif=Case(When(**{document: tsquery("B")}, then=1), default=0),
            # Normalised by the log of the document's length, closer to bm25 than the raw rank.
            search_rank=SearchRank(F(document), tsquery(), normalization=Value(1)),
        )

    def _search_sqlite(self, parsed):
        from .search_tables import drive_from_fts

        Fts = self._row_model("recherche_fts")

        def in_column(column):
            return Q(pk__in=Fts.objects.filter(**{f"{column}__match": parsed.fts5()}).values("pk"))

        queryset = self.filter(recherche_fts__document__match=parsed.fts5()).alias(
            search_titre=Case(When(in_column("titre"), then=1), default=0),
            search_descriptif=Case(When(in_column("descriptif"), then=1), default=0),
            # bm25 is lower for a better match; its weights: title, descriptif, the rest.
            search_rank=Func(
                F("recherche_fts__document"),
                Value(10.0),
                Value(4.0),
                Value(1.0),
                function="-bm25",
                output_field=FloatField(),
            ),
        )
        drive_from_fts(queryset.query)
        return queryset

    def _with_budget(self):
        if "budget_total_sql" in self.query.annotations:
            return self
        return self.with_budget_total()

    def budget_between(self, minimum=None, maximum=None):
        """Fiches whose total budget lies within the bounds (a fiche without budget never does)."""
        queryset = self._with_budget()
        if minimum is not None:
            queryset = queryset.filter(budget_total_sql__gte=minimum)
        if maximum is not None:
            queryset = queryset.filter(budget_total_sql__lte=maximum)
        return queryset

    def without_budget(self):
        LigneBudget = self._row_model("lignes_budget")

        return self.filter(~Exists(LigneBudget.objects.filter(fiche=OuterRef("pk"))))

    def sorted_by(self, key: str = "ordre"):
        """'ordre' (recap order, the default), 'titre' (ignoring case and accents), '-budget'
        or 'budget' (fiches without budget last), 'pertinence' (after `search()`: a match in
        the title first, then the descriptif, then the rest, each by rank); an unknown key
        falls back to recap order."""
        if key == "pertinence" and "search_rank" in self.query.annotations:
            # Among fiches found in the same places, the shorter text where the words are is
            # the closer match (as bm25 counts it); the engines' ranks break the ties left.
            closeness = Case(
                When(search_titre=1, then=Length("titre")),
                When(search_descriptif=1, then=Length("descriptif")),
                default=None,
            )
            return self.order_by(
                "-search_titre",
                "-search_descriptif",
                closeness.asc(nulls_last=True),
                "-search_rank",
                "ordre",
                "pk",
            )
        if key == "titre":
            return self.order_by(Fold("titre"), "pk")
        if key in ("budget", "-budget"):
            total = F("budget_total_sql")
            total = total.asc(nulls_last=True) if key == "budget" else total.desc(nulls_last=True)
            return self._with_budget().order_by(total, "ordre", "pk")
        return self.order_by("ordre", "pk")

    def bilan(self) -> Bilan:
        """How many of these fiches, how many without budget, and their budget: one query."""
        return Bilan.from_row(self.order_by().aggregate(**bilan_aggregates()))

    def bilans_of(self, **subsets: Q) -> dict[str, Bilan]:
        """{name: bilan} of each named subset of these fiches (an empty Q() for all of
        them), in one query."""
        aggregates = {}
        for name, subset in subsets.items():
            aggregates.update(bilan_aggregates(subset, prefix=f"{name}_"))
        row = self.order_by().aggregate(**aggregates)
        return {name: Bilan.from_row(row, prefix=f"{name}_") for name in subsets}

    def bilans(self, *fields):
        """{field: value, 'nombre', 'sans_budget', 'budget'} rows (`Bilan.from_row` reads
        them): the bilan per value of `fields` (say 'orientations'), in one GROUP BY. Each
        fiche must appear once per group before the lines are joined: the callers group by a
        relation the fiche holds at most once."""
        return self.order_by().values(*fields).annotate(**bilan_aggregates())

    def count_structures(self) -> int:
        """How many distinct structures take part in these fiches, whatever their role: one
        EXISTS per structure, which stops at its first such fiche, rather than a DISTINCT
        over every participation (measured in docs/benchmarks.md)."""
        Participation = self._row_model("participations")

        fiches = self.order_by().values("pk")
        return Structure.objects.filter(
            Exists(Participation.objects.filter(structure=OuterRef("pk"), fiche__in=fiches))
        ).count()

    def roles_by_structure(self) -> dict[int, dict[str, int]]:
        """{structure id: {role: number of these fiches where it holds that role}}."""
        Participation = self._row_model("participations")

        rows = (
            Participation.objects.filter(fiche__in=self.order_by().values("pk"))
            .order_by()
            .values("structure", "role")
            .annotate(nombre=Count("fiche", distinct=True))
        )
        counts: dict[int, dict[str, int]] = {}
        for row in rows:
            counts.setdefault(row["structure"], {})[row["role"]] = row["nombre"]
        return counts

    def with_budget_total(self):
        """Annotate `budget_total_sql`: the sum of the lines' totals, NULL without lines (the
        SQL twin of `budget.fiche_total`, which `FicheAction.budget_total` then returns)."""
        LigneBudget = self._row_model("lignes_budget")

        totals = (
            LigneBudget.objects.filter(fiche=OuterRef("pk"))
            .order_by()
            .values("fiche")
            .annotate(total=Sum(ligne_total_expression()))
            .values("total")
        )
        return self.annotate(budget_total_sql=Subquery(totals, output_field=BUDGET_FIELD))

    def for_listing(self):
        """What a list row shows: porteur, orientations, total budget, in constant queries."""
        Participation = self._row_model("participations")

        return (
            self.select_related("contrat")
            .with_budget_total()
            .prefetch_related(
                Prefetch(
                    "participations",
                    queryset=Participation.objects.select_related("structure"),
                ),
                "orientations__enjeu",
                "enjeux",
            )
        )

    def for_detail(self):
        """Everything a fiche's page or PDF shows."""
        LigneBudget = self._row_model("lignes_budget")
        Participation = self._row_model("participations")
        SousAction = self._row_model("sous_actions")

        return self.select_related("contrat").prefetch_related(
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("structure").prefetch_related(
                    "structure__contacts"
                ),
            ),
            Prefetch("lignes_budget", queryset=LigneBudget.objects.select_related("financeur")),
            Prefetch("sous_actions", queryset=SousAction.objects.all()),
            "orientations__enjeu",
            "enjeux",
        )

    def with_suivi(self):
        """The follow-up a fiche's page shows: its progress notes (newest first), indicators
        with their yearly values, milestones; four queries."""
        return self.prefetch_related(
            "points_avancement",
            Prefetch("indicateurs", queryset=Indicateur.objects.prefetch_related("valeurs")),
            "etapes",
        )
