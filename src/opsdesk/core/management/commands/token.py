from django.core.management.base import CommandError

from opsdesk.core.errors import DomainError
from opsdesk.core.management.base import OpsdeskCommand
from opsdesk.core.models import User
from opsdesk.core.services import token_create


class Command(OpsdeskCommand):
    help = "Manage API tokens: token create --user NAME [--read-only] [--expires DAYS]."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("--user", required=True, help="Username the token acts as.")
        create.add_argument("--name", default="command line", help="What the token is for.")
        create.add_argument("--read-only", action="store_true", help="Allow reads only.")
        create.add_argument("--expires", type=int, metavar="DAYS", help="Expire after DAYS days.")

    def handle(self, *args, action, **options):
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user called {options['user']!r}.")
        try:
            token, raw = token_create(
                actor=None,
                user=user,
                name=options["name"],
                read_only=options["read_only"],
                expires_in_days=options["expires"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        expiry = f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else ""
        scope = "read-only" if token.read_only else "read-write"
        self.stderr.write(f"Token for {user.username} ({scope}{expiry}). It is shown only once:")
        self.stdout.write(raw)
