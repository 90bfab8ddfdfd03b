"""Render administrators' templates safely: a private engine, plain values only.

The engine loads no files and knows only the tags in ``sandbox``; the context holds strings and
numbers built here, never model instances, so a template cannot call methods or walk
relations to data the recipient should not see.
"""

import re
from dataclasses import dataclass

from django.template import Context, Engine, TemplateSyntaxError


class SandboxEngine(Engine):
    default_builtins = []


_engines = {
    autoescape: SandboxEngine(
        dirs=[],
        app_dirs=False,
        loaders=[],
        libraries={},
        builtins=["opsdesk.notifications.sandbox"],
        autoescape=autoescape,
        string_if_invalid="",
    )
    for autoescape in (True, False)
}


def template_errors(source: str) -> str:
    """A message when ``source`` does not compile in the sandbox, else ''."""
    try:
        _engines[False].from_string(source or "")
    except TemplateSyntaxError as error:
        return f"Template error: {error}"
    return ""


def render(source: str, context: dict, *, html: bool = False) -> str:
    if not source:
        return ""
    template = _engines[html].from_string(source)
    return template.render(Context(context, autoescape=html))


@dataclass
class RenderedMail:
    subject: str
    body_text: str
    body_html: str


def render_mail(template, context: dict, *, number: str = "") -> RenderedMail:
    """Subject with the ticket number in brackets (inbound mail threads on it), and bodies."""
    subject = re.sub(r"\s+", " ", render(template.subject, context)).strip()
    if number and f"[{number}]" not in subject:
        subject = f"[{number}] {subject}"
    return RenderedMail(
        subject=subject[:255],
        body_text=render(template.body_text, context).strip() + "\n",
        body_html=render(template.body_html, context, html=True).strip(),
    )
