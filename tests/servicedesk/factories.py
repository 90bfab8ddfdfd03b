"""Factories for service desk tests."""

import factory

from opsdesk.servicedesk.models import (
    ArticleCategory,
    ArticleState,
    CannedResponse,
    KnowledgeArticle,
)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArticleCategory

    name = factory.Sequence(lambda n: f"Shelf {n}")
    parent = None


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnowledgeArticle

    number = factory.Sequence(lambda n: f"KB9{n:06d}")
    title = factory.Sequence(lambda n: f"How to fix thing {n}")
    body = "Restart the **device** and try again."
    state = ArticleState.PUBLISHED


class CannedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedResponse

    title = factory.Sequence(lambda n: f"Reply {n}")
    body = "Hello {{ caller.first_name }}, we are working on {{ incident.number }}."
