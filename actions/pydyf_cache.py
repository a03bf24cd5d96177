"""pydyf's list of page references, built once per page count (installed by ActionsConfig)."""

import pydyf


def _memoized_page_references(pdf):
    """`pydyf.PDF.page_references`, built once per page count instead of on every read.

    pydyf 0.13 rebuilds the tuple of all the pages' references each time it is read, and
    WeasyPrint's tagging (`pdf_tags`) reads it once per structure element to take one page's:
    pages × elements, the only part of the recap that grew quadratically (docs/benchmarks.md).
    Same tuple, same PDF."""
    kids = pdf.pages["Kids"]
    cached = pdf.__dict__.get("_page_references_cache")
    if cached is None or cached[0] is not kids or cached[1] != len(kids):
        references = tuple(f"{number} 0 R".encode("ascii") for number in kids[::3])
        cached = pdf.__dict__["_page_references_cache"] = (kids, len(kids), references)
    return cached[2]


def install_pydyf_page_references_cache() -> bool:
    """Put `_memoized_page_references` in place of pydyf's property (ActionsConfig.ready()).

    Only over pydyf's own uncached property: a later pydyf that changes it is left alone.
    Returns whether it is in place."""
    current = vars(pydyf.PDF).get("page_references")
    if isinstance(current, property) and current.fget is _memoized_page_references:
        return True
    if isinstance(current, property) and getattr(current.fget, "__module__", None) == "pydyf":
        pydyf.PDF.page_references = property(_memoized_page_references)
        return True
    return False
