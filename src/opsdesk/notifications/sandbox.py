"""The only tags and filters an administrator's notification template may use.

Everything in Django's defaults except what reaches outside the context: loading libraries,
including or extending files, reversing URLs and dumping the context (``debug``).
"""

from django.template import Library, defaultfilters, defaulttags, loader_tags

REFUSED_TAGS = frozenset(
    {"load", "include", "extends", "block", "debug", "url", "csrf_token", "templatetag"}
)

register = Library()
for _library in (defaulttags.register, loader_tags.register):
    for _name, _tag in _library.tags.items():
        if _name not in REFUSED_TAGS:
            register.tags[_name] = _tag
register.filters.update(defaultfilters.register.filters)
