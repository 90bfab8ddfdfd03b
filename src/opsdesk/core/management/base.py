"""Shared bits of opsdesk's management commands."""

from django.core.management.base import BaseCommand

from opsdesk.core.context import action_context


class OpsdeskCommand(BaseCommand):
    """A command whose changes are audited as coming from the command line."""

    def execute(self, *args, **options):
        with action_context(source="cli"):
            return super().execute(*args, **options)
