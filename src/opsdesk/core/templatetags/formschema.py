"""``{% form_section schema answers errors prefix="item" %}``: a form's fields on any page."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def form_section(context, schema, answers=None, errors=None, prefix=""):
    from opsdesk.core.formschema import render_section

    return render_section(
        schema, answers=answers, errors=errors, prefix=prefix, request=context.get("request")
    )
