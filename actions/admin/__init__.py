"""Staff admin for fiches actions and what hangs from them, by capability: the fiche (fiches),
its list filters, inlines, history and publication workflow, and the rows' own lists (rows).
Importing the package registers them all."""

from . import fiches, rows  # noqa: F401  (registration)
