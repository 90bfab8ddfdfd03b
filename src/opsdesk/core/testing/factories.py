import factory
from django.contrib.auth.models import Group

from opsdesk.core.models import Team, TeamType, User
from opsdesk.core.roles import Role

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.Faker("name")
    department = "Finance"
    time_zone = "Europe/London"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: a transactional test's flush removes the groups the data
            # migration seeded, and the next test must still be able to hand out roles.
            self.groups.add(*(Group.objects.get_or_create(name=str(r))[0] for r in extracted))


def requester(**kwargs) -> User:
    return UserFactory(roles=[Role.REQUESTER], **kwargs)


def agent(**kwargs) -> User:
    return UserFactory(roles=[Role.AGENT], **kwargs)


def admin(**kwargs) -> User:
    return UserFactory(roles=[Role.ADMINISTRATOR], **kwargs)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    type = TeamType.TECHNICAL
    email = factory.LazyAttribute(lambda t: f"{t.name.lower().replace(' ', '-')}@example.com")
