import os
import secrets

from django.db import transaction

from opsdesk.core.management.base import OpsdeskCommand
from opsdesk.core.models import User
from opsdesk.core.roles import Role
from opsdesk.core.services import user_create


class Command(OpsdeskCommand):
    help = "Create the administrator account and print its password once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@example.com")

    def handle(self, *args, username, email, **options):
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"The administrator '{username}' exists already; its password was printed when "
                f"it was created. Reset it with: opsdesk changepassword {username}"
            )
            return
        password = os.environ.get("OPSDESK_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        with transaction.atomic():
            user = user_create(
                actor=None,
                username=username,
                email=email,
                display_name="Administrator",
                password=password,
                roles=[Role.ADMINISTRATOR],
                is_staff=True,
                is_superuser=True,
            )
        shown = (
            password
            if not os.environ.get("OPSDESK_ADMIN_PASSWORD")
            else "(from OPSDESK_ADMIN_PASSWORD)"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Administrator created. Sign in as '{user.username}' with password: {shown}"
            )
        )
