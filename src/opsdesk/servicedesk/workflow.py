"""The life of a knowledge article: draft -> in review -> published -> retired.

A reviewer sends a draft back for rework; publishing needs a second pair of eyes (an agent
other than the author) unless an administrator publishes.
"""

from opsdesk.core.roles import is_admin
from opsdesk.core.workflow import Transition, Workflow
from opsdesk.servicedesk.models import ArticleState

S = ArticleState


def reviewer_is_not_author(article, *, actor=None, **_) -> dict | None:
    # actor None is opsdesk itself (demo data, imports), which has no author to review.
    if actor is None or is_admin(actor) or article.author_id != actor.pk:
        return None
    return {"author": ["Another agent must review and publish what you wrote."]}


ARTICLE_WORKFLOW = Workflow(
    states=dict(S.choices),
    initial=S.DRAFT,
    transitions=(
        Transition("submit", frozenset({S.DRAFT}), S.REVIEW, "Send for review"),
        Transition("rework", frozenset({S.REVIEW}), S.DRAFT, "Back to draft"),
        Transition(
            "publish",
            frozenset({S.REVIEW}),
            S.PUBLISHED,
            "Publish",
            guards=(reviewer_is_not_author,),
        ),
        Transition("retire", frozenset({S.PUBLISHED}), S.RETIRED, "Retire"),
    ),
    final=frozenset({S.RETIRED}),
)
