"""A bilan of fiches: how many, how many without budget, and the others' budget added up.

The one class every page, export and total reads. Its home is `actions/budget.py`, which
re-exports it; it is defined here, with no knowledge of fiches, because the enjeux and
structures pages build it too and those apps may not import `actions`."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass
class Bilan:
    """`budget` stays None while no fiche counted has one: shown as a dash or « non
    renseigné », never as 0 € (a fiche without budget line is not a fiche of 0 €).

    `sans_budget` is None where a reading did not count it: the enjeu page's per-row
    subqueries (actions/bilans.py `with_bilans`), where a third subquery per row would cost
    half again the page's SQL time for a number the page does not show."""

    nombre: int = 0
    budget: Decimal | None = None
    sans_budget: int | None = 0

    @property
    def avec_budget(self) -> int | None:
        return None if self.sans_budget is None else self.nombre - self.sans_budget

    def add(self, budget: Decimal | None) -> None:
        """Count one more fiche, whose budget total is `budget` (None: no budget)."""
        self.nombre += 1
        if budget is None:
            self.sans_budget += 1
        else:
            self.budget = (self.budget or Decimal(0)) + budget

    def __add__(self, other: "Bilan") -> "Bilan":
        """The bilan of two disjoint sets of fiches."""
        budgets = [budget for budget in (self.budget, other.budget) if budget is not None]
        uncounted = self.sans_budget is None or other.sans_budget is None
        return Bilan(
            nombre=self.nombre + other.nombre,
            budget=sum(budgets, Decimal(0)) if budgets else None,
            sans_budget=None if uncounted else self.sans_budget + other.sans_budget,
        )

    @classmethod
    def from_row(cls, row, prefix: str = "") -> "Bilan":
        """The bilan a SQL row holds as `<prefix>nombre`, `<prefix>budget` and
        `<prefix>sans_budget` (see `actions.budget.bilan_aggregates`); a row of no fiche
        may hold NULL counts."""
        return cls(
            nombre=row[f"{prefix}nombre"] or 0,
            budget=row[f"{prefix}budget"],
            sans_budget=row[f"{prefix}sans_budget"] or 0,
        )
