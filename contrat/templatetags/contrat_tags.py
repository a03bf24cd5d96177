"""Template filters available in every template (declared as builtins in settings)."""

from django import template

from contrat.formats import format_euros

register = template.Library()


@register.filter
def euros(amount):
    """{{ fiche.budget_total|euros }} -> '250 550 €'."""
    return format_euros(amount)
