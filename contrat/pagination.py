"""A paginator for pages whose totals query has counted the rows already."""

from django.core.paginator import Paginator


class CountedPaginator(Paginator):
    """Paginator given the count instead of running its own COUNT query."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count
