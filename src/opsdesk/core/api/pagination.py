from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: a deep page costs the same as the first."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"
