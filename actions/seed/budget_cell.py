"""Reading a Budget cell of the source ('2 000 €\nPar an sur 6 ans') into budget lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class BudgetLine:
    montant: Decimal
    periodicite: str = "total"
    nombre_annees: int | None = None

    @property
    def total(self) -> Decimal:
        if self.periodicite == "annuel":
            return self.montant * self.nombre_annees
        return self.montant


_AMOUNT = re.compile(r"^(?P<number>\d[\d \u00a0\u202f]*(?:,\d{1,2})?)\s*€?$")
_DURATION = re.compile(r"^(?P<per_year>par an )?sur (?P<years>\d+) ans?$", re.IGNORECASE)


def parse_budget(text: str) -> list[BudgetLine]:
    """'250 550 €' -> one line; '2 000 €\\nPar an sur 6 ans' -> 2 000 € a year for 6 years;
    '15 000 €\\nsur 6 ans' -> 15 000 € in all over 6 years; an empty cell -> no line at all
    (no budget is not 0 €). Anything else raises ValueError with a French message."""
    lines: list[BudgetLine] = []
    for raw in text.splitlines():
        line = " ".join(raw.replace("\u00a0", " ").replace("\u202f", " ").split())
        if not line:
            continue
        amount = _AMOUNT.match(line)
        duration = _DURATION.match(line)
        if amount:
            number = re.sub(r"\s", "", amount.group("number")).replace(",", ".")
            try:
                lines.append(BudgetLine(montant=Decimal(number)))
            except InvalidOperation as error:  # pragma: no cover - the regex only lets digits in
                raise ValueError(f"Montant illisible : « {raw.strip()} ».") from error
        elif duration and lines:
            years = int(duration.group("years"))
            if years < 1:
                raise ValueError(f"Durée impossible : « {raw.strip()} ».")
            periodicite = "annuel" if duration.group("per_year") else "total"
            lines[-1] = BudgetLine(lines[-1].montant, periodicite, years)
        elif duration:
            raise ValueError(f"Une durée sans montant avant elle : « {raw.strip()} ».")
        else:
            raise ValueError(f"Montant illisible : « {raw.strip()} ».")
    return lines
