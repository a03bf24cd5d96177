"""Property-based round trips between budget text ("250 550 €") and amounts, both ways."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import example, given, settings
from hypothesis import strategies as st

from actions.factories import budget_text
from actions.models import LigneBudget, Periodicite
from actions.seed.budget_cell import BudgetLine, parse_budget
from contrat.formats import NBSP, format_euros

NNBSP = "\u202f"  # narrow no-break space: what some tools write between thousands
SPACES = [" ", NBSP, NNBSP]

# What a LigneBudget holds: up to 12 digits, 2 of them after the comma, never negative.
amounts = st.decimals(
    min_value=0, max_value=Decimal("9999999999.99"), places=2, allow_nan=False
) | st.integers(min_value=0, max_value=10**10).map(Decimal)
years = st.integers(min_value=1, max_value=99)


@st.composite
def budget_lines(draw) -> dict:
    montant = draw(amounts)
    kind = draw(st.sampled_from(["total", "total-sur", "annuel"]))
    return {
        "montant": montant,
        "periodicite": Periodicite.ANNUEL if kind == "annuel" else Periodicite.TOTAL,
        "nombre_annees": draw(years) if kind != "total" else None,
    }


def written(lines: list[dict]) -> str:
    """The budget cell of these lines, as generated fiches have it."""
    return budget_text([LigneBudget(**line) for line in lines])


def as_lines(lines: list[dict]) -> list[BudgetLine]:
    return [
        BudgetLine(line["montant"], str(line["periodicite"]), line["nombre_annees"])
        for line in lines
    ]


@given(amounts)
@example(Decimal("250550"))
@example(Decimal("0"))
@example(Decimal("1000.5"))
@example(Decimal("9999999999.99"))
def test_a_formatted_amount_reads_back_as_the_same_amount(amount):
    text = format_euros(amount)
    [line] = parse_budget(text)
    assert line.montant == amount
    assert line.periodicite == "total" and line.nombre_annees is None


@given(amounts)
def test_format_euros_writes_it_the_french_way(amount):
    text = format_euros(amount)
    assert text.endswith(NBSP + "€")
    number = text.removesuffix(NBSP + "€")
    units, _, cents = number.partition(",")
    groups = units.split(NBSP)
    assert groups[0] and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    assert cents == "" or (len(cents) == 2 and cents != "00")
    assert Decimal("".join(groups) + "." + (cents or "0")) == amount
    assert " " not in text  # never a breakable space inside an amount


def test_the_recap_example_and_the_euros_filter_agree():
    assert format_euros(Decimal("250550")) == f"250{NBSP}550{NBSP}€"
    assert format_euros(None) == ""
    rendered = Template("{{ montant|euros }}").render(Context({"montant": Decimal("250550")}))
    assert rendered == format_euros(Decimal("250550"))


@settings(max_examples=200)
@given(st.lists(budget_lines(), max_size=4))
def test_budget_cells_with_yearly_lines_read_back_as_the_same_lines(lines):
    text = written(lines)
    assert parse_budget(text) == as_lines(lines)


@given(st.lists(budget_lines(), min_size=1, max_size=3), st.sampled_from(SPACES), st.data())
def test_any_kind_of_space_between_thousands_reads_the_same(lines, space, data):
    text = written(lines).replace(NBSP, space)
    # Extra spaces around lines, CRLF line ends, blank lines: how a spreadsheet cell comes back.
    padding = data.draw(st.sampled_from(["", " ", NBSP, "\t"]))
    line_end = data.draw(st.sampled_from(["\n", "\r\n", "\n\n"]))
    text = line_end.join(padding + line + padding for line in text.split("\n"))
    assert parse_budget(text) == as_lines(lines)


@given(st.lists(budget_lines(), max_size=3))
def test_the_total_of_the_lines_is_what_the_text_says(lines):
    parsed = parse_budget(written(lines))
    expected = sum(
        (
            line["montant"] * (line["nombre_annees"] or 1)
            if line["periodicite"] == "annuel"
            else line["montant"]
            for line in lines
        ),
        Decimal(0),
    )
    assert sum((line.total for line in parsed), Decimal(0)) == expected


@given(st.text(alphabet=st.sampled_from("0123456789 ,.€\u00a0\u202f\nParnsuêo-e"), max_size=40))
@example("Par an sur 6 ans")
@example("2 000 €\nsur 0 an")
@example("1,234")
@example("€")
def test_any_text_is_read_or_refused_in_french_never_crashes(text):
    try:
        lines = parse_budget(text)
    except ValueError as error:
        message = str(error)
        assert any(
            word in message for word in ("Montant illisible", "Durée impossible", "sans montant")
        ), message
    else:
        assert all(line.montant >= 0 for line in lines)
        assert all(line.nombre_annees is None or line.nombre_annees >= 1 for line in lines)


@pytest.mark.parametrize(
    ("text", "total"),
    [
        ("250 550 €", Decimal("250550")),
        (f"250{NNBSP}550{NNBSP}€", Decimal("250550")),
        ("2 000 €\nPar an sur 6 ans", Decimal("12000")),
        ("15 000 €\nsur 6 ans", Decimal("15000")),
        ("1 000,50 €\n2 000 €\npar an sur 3 ans", Decimal("7000.50")),
        ("", Decimal("0")),
    ],
)
def test_known_cells_of_the_recap(text, total):
    assert sum((line.total for line in parse_budget(text)), Decimal(0)) == total
