from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: a deep page costs the same as the first."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"


class RankedPagination(CursorPagination):
    """Cursor pages over hits already in rank order (search): the cursor carries the offset.

    The same ``cursor`` and ``page_size`` parameters and the same body as every other list,
    so clients page through search results as they page through anything else.
    """

    def paginate_queryset(self, hits, request, view=None):
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        cursor = self.decode_cursor(request)
        self.offset = cursor.offset if cursor else 0
        self.has_next = len(hits) > self.offset + self.page_size
        self.has_previous = self.offset > 0
        return list(hits[self.offset : self.offset + self.page_size])

    def get_next_link(self):
        if not self.has_next:
            return None
        return self.encode_cursor(
            pagination.Cursor(offset=self.offset + self.page_size, reverse=False, position=None)
        )

    def get_previous_link(self):
        if not self.has_previous:
            return None
        offset = max(0, self.offset - self.page_size)
        return self.encode_cursor(pagination.Cursor(offset=offset, reverse=False, position=None))
