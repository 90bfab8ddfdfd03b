"""The global search page: a visible record's number opens it, anything else is ranked."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from opsdesk.core import search
from opsdesk.core.forms import SearchForm

PAGE_SIZE = 25


@login_required
def search_page(request):
    form = SearchForm(request.GET if "q" in request.GET else None)
    context = {"form": form, "search_query": request.GET.get("q", "")[:500]}
    if not form.is_valid():
        return render(request, "core/search.html", context)
    query = form.cleaned_data["q"]
    found = search.find_by_number(query, viewer=request.user)
    if found is not None:
        record_type, record = found
        return redirect(record_type.url(record, request.user))
    hits = search.search(query, viewer=request.user)
    page_obj = Paginator(hits, PAGE_SIZE).get_page(request.GET.get("page"))
    results = search.load(list(page_obj.object_list), viewer=request.user)
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.record_type.label] = counts.get(hit.record_type.label, 0) + 1
    context.update(
        query=query,
        page_obj=page_obj,
        results=[(hit, hit.record_type.url(hit.record, request.user)) for hit in results],
        counts=sorted(counts.items(), key=lambda item: -item[1]),
    )
    return render(request, "core/search.html", context)
