"""French formatting of amounts, shared by pages, PDFs and exports."""

from decimal import Decimal

NBSP = "\u00a0"  # what French typography and the recap put between thousands and before €


def format_euros(amount: Decimal | int | None) -> str:
    """250550 -> '250 550 €' (no-break spaces); cents only when there are some."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    units, cents = divmod(amount.quantize(Decimal("0.01")), 1)
    digits = f"{int(units):,}".replace(",", NBSP)
    if cents:
        digits += "," + f"{cents:.2f}"[2:]
    return f"{sign}{digits}{NBSP}€"


def format_number(value: Decimal | int | None, unit: str = "") -> str:
    """1234.5 -> '1 234,5', with its unit after a no-break space if given ('1 234,5 ha')."""
    if value is None:
        return ""
    value = Decimal(value)
    sign = "-" if value < 0 else ""
    units, fraction = divmod(abs(value), 1)
    digits = f"{int(units):,}".replace(",", NBSP)
    if fraction:
        digits += "," + f"{fraction.normalize():f}"[2:]
    text = f"{sign}{digits}"
    return f"{text}{NBSP}{unit}" if unit else text
