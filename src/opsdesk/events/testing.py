"""Factories and helpers for tests of event management and the flows built on it."""

import factory

from opsdesk.events.models import (
    Format,
    Integration,
    MaintenanceWindow,
    Rule,
    hash_secret,
)

SECRET = "0123456789abcdef0123456789abcdef"


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration

    name = factory.Sequence(lambda n: f"Prometheus {n}")
    format = Format.GENERIC
    secret_hash = factory.Sequence(lambda n: hash_secret(f"{SECRET}{n}"))


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    name = factory.Sequence(lambda n: f"Rule {n}")
    conditions = factory.LazyFunction(list)
    actions = factory.LazyFunction(lambda: {"create_incident": True})


class MaintenanceWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenanceWindow

    name = factory.Sequence(lambda n: f"Window {n}")
