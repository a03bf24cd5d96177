"""Staff admin for fiches actions and what hangs from them, by capability: the fiche (fiches),
its list filters, inlines, history and publication workflow, the rows' own lists (rows) and
the financing lines' (financements), the follow-up's (suivi).
Importing the package registers them all."""

from . import fiches, financements, rows, suivi  # noqa: F401  (registration)
