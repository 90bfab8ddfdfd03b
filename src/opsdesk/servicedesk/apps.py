"""The single point of contact: self-service portal, inbound email, knowledge base, CSAT."""

from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "opsdesk.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"
    nav_items = [
        ("My work", "servicedesk:my-work", "agent"),
        # Core's workspace queues: one per registered record type.
        ("Queues", "core:queue-index", "agent"),
        # Core's task queue: work handed out from any ticket, read in the service desk.
        ("Tasks", "core:task-list", "agent"),
        ("Knowledge", "servicedesk:kb-manage", "agent"),
        ("Canned responses", "servicedesk:canned-list", "agent"),
        ("Unprocessed mail", "servicedesk:unprocessed", "agent"),
        ("Portal", "servicedesk:home", "all"),
    ]
    # The portal's own links (order, label, url name); other apps add theirs.
    portal_nav_items = [
        (10, "Service desk", "servicedesk:home"),
        (20, "Report an issue", "servicedesk:report"),
        (40, "My tickets", "servicedesk:tickets"),
        (60, "Knowledge", "servicedesk:kb-search"),
    ]

    def ready(self):
        # Outbox handlers: a resolved incident asks its caller for feedback; a published
        # known error becomes a knowledge article.
        from opsdesk.incidents.views import use_resolve_form
        from opsdesk.servicedesk import handlers  # noqa: F401

        # The incident page's resolve form also links the knowledge article that solved it.
        use_resolve_form("servicedesk/_resolve_form.html")
        _register_search()
        _add_incident_panels()
        _add_survey_panels()


def _add_incident_panels():
    from opsdesk.core.tickets.registry import add_panel

    # On a problem: the knowledge article its known error is published as.
    add_panel("problem", slot="after_details", template="servicedesk/_known_error_article.html")
    # The knowledge articles an incident was resolved with, in its details.
    add_panel("incident", slot="details", template="servicedesk/_resolved_with.html")
    # Beside the reply box: canned responses and "resolved with article".
    add_panel("incident", slot="reply", template="servicedesk/_canned_picker.html", order=10)
    add_panel("incident", slot="reply", template="servicedesk/_article_links.html", order=20)


def _add_survey_panels():
    """On the portal page of every type that asks for feedback (a delivered request item):
    the survey, once it is asked."""
    from opsdesk.core.tickets.registry import add_panel, on_register

    def add(kind):
        if kind.survey_states:
            add_panel(kind.key, slot="portal", template="servicedesk/portal/_survey_panel.html")

    on_register(add)


def _register_search():
    from django.urls import reverse

    from opsdesk.core import search
    from opsdesk.core.roles import is_agent
    from opsdesk.servicedesk import knowledge
    from opsdesk.servicedesk.models import KnowledgeArticle

    search.register(
        search.RecordType(
            key="kb",
            label="Knowledge article",
            model=KnowledgeArticle,
            prefix=KnowledgeArticle.NUMBER_PREFIX,
            # The index knowledge search already keeps (migrations 0004 and 0005).
            fields={"title": "A", "keywords": "B", "body": "C"},
            fts_table="servicedesk_kb_fts",
            visible=lambda viewer: knowledge.article_list(viewer=viewer),
            url=lambda record, viewer: (
                reverse("servicedesk:kb-detail", args=[record.pk])
                if is_agent(viewer)
                else reverse("servicedesk:kb-article", args=[record.number])
            ),
            title=lambda record: record.title,
        )
    )
