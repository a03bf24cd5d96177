"""The public portal's pages, all of which list or count fiches: the fiches and their exports
(fiches), the home page and the enjeux (enjeux), the structures (structures)."""

from django.urls import reverse

from enjeux.querysets import current_enjeux


def precomputed_pages() -> list[str]:
    """The pages whose cached figures take their first visitor after a write a quarter of a
    second or more at 10,000 fiches (docs/benchmarks.md), computed by the background worker
    instead (contrat/precompute.py): the most visited first."""
    numeros = current_enjeux().order_by("numero").values_list("numero", flat=True)
    return [
        reverse("enjeux:home"),
        reverse("actions:list"),
        reverse("financements:plan"),
        reverse("structures:list"),
        reverse("enjeux:list"),
        *(reverse("enjeux:detail", args=[numero]) for numero in numeros),
    ]
