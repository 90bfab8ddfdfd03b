"""The writes behind the SCIM endpoints: one transaction per request, through core's user
and team services (so validation, versions and the audit trail are core's), with the
``externalId`` kept in ``ScimLink``. Core tells every change to a person's lifecycle fields as
a ``user.changed`` fact with source SCIM, and access management's joiner/mover/leaver handling
reacts to it after commit, whichever path changed the person.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opsdesk.access.models import ScimLink
from opsdesk.access.scim import patch
from opsdesk.access.scim.errors import ScimError, invalid_value
from opsdesk.access.scim.resources import (
    GroupValues,
    UserValues,
    group_resource,
    read_group,
    read_user,
    user_resource,
)
from opsdesk.access.scim.schema import GROUP, USER
from opsdesk.core import services as core
from opsdesk.core.audit import audit_record
from opsdesk.core.concurrency import lock_for_update
from opsdesk.core.errors import (
    DomainError,
    InUse,
    NotPermitted,
    StaleVersion,
    ValidationFailed,
)
from opsdesk.core.models import Team, User

# SCIM's names for core's fields, so a refusal speaks the client's language.
SCIM_NAMES = {
    "username": "userName",
    "first_name": "name.givenName",
    "last_name": "name.familyName",
    "display_name": "displayName",
    "job_title": "title",
    "email": "emails.value",
    "phone": "phoneNumbers.value",
    "department": "department",
    "manager": "manager",
    "name": "displayName",
    "members": "members",
}
# Told to core's user services, whose ``user.changed`` fact access management turns into
# joiners, movers and leavers once the change has committed.
SOURCE = "SCIM"


def refusal(error: DomainError, *, if_match: bool = False) -> ScimError:
    """Core's refusals as SCIM errors."""
    if isinstance(error, StaleVersion):
        if if_match:
            return ScimError(412, "The resource changed since that version (If-Match).")
        return ScimError(409, error.message)
    if isinstance(error, InUse):
        return ScimError(409, error.message)
    if isinstance(error, NotPermitted):
        return ScimError(403, error.message)
    if not isinstance(error, ValidationFailed):
        # Any other refusal (a joiner/mover/leaver rule, say) keeps its status and message.
        return ScimError(getattr(error, "status_code", 400), str(error))
    problems = []
    for field, messages in error.fields.items():
        label = SCIM_NAMES.get(field, field)
        problems.extend(f"{label}: {m}" if field != "__all__" else str(m) for m in messages)
    return invalid_value("; ".join(problems) or error.message)


# --- reading what a request may touch ---------------------------------------------------------
def visible_users():
    """People SCIM shows: all but those the identity provider deleted."""
    return User.objects.exclude(scim_link__deleted_at__isnull=False)


def _locked_user(user_id) -> User:
    if not str(user_id).isdigit() or not visible_users().filter(pk=int(user_id)).exists():
        raise ScimError(404, f"No User with id {user_id}.")
    return lock_for_update(User, int(user_id))


def _locked_team(team_id) -> Team:
    if not str(team_id).isdigit() or not Team.objects.filter(pk=int(team_id)).exists():
        raise ScimError(404, f"No Group with id {team_id}.")
    return lock_for_update(Team, int(team_id))


def _manager(values: UserValues, user: User | None) -> None:
    manager_id = values.fields.get("manager")
    if manager_id is None:
        return
    if user is not None and manager_id == user.pk:
        raise invalid_value("A person cannot be their own manager.")
    manager = visible_users().filter(pk=manager_id).first()
    if manager is None:
        raise invalid_value(f"manager.value {manager_id} is not an opsdesk user's id.")
    values.fields["manager"] = manager


def _username_free(username: str, user: User | None) -> None:
    # userName is not case-exact (RFC 7643 §4.1.1): Ada and ada are one person.
    clash = User.objects.filter(username__iexact=username)
    if user is not None:
        clash = clash.exclude(pk=user.pk)
    if clash.exists():
        raise ScimError(409, f"userName {username!r} is already taken.", "uniqueness")


def _link_set(*, actor, obj, external_id: str | None, clear_missing: bool, deleted=False):
    link = ScimLink.objects.filter(**{_owner(obj): obj}).first()
    before = link.external_id if link else ""
    wanted = before if external_id is None and not clear_missing else (external_id or "")
    if link is None and not wanted and not deleted:
        return
    if link is None:
        link = ScimLink(**{_owner(obj): obj})
    changed = wanted != before
    link.external_id = wanted
    link.deleted_at = timezone.now() if deleted else None
    link.save()
    if changed:
        audit_record(
            action=f"{obj._meta.model_name}.external_id_changed",
            obj=obj,
            changes={"externalId": {"from": before, "to": wanted}},
            actor=actor,
        )


def _owner(obj) -> str:
    return "user" if isinstance(obj, User) else "team"


def _refused_self(actor, user: User, fields: dict) -> None:
    if user.pk == actor.pk and fields.get("is_active") is False:
        raise invalid_value("The provisioning account cannot disable itself.")


# --- people ---------------------------------------------------------------------------------
@transaction.atomic
def scim_user_create(*, actor, body) -> User:
    """POST /Users. A person the identity provider deleted before comes back as themself."""
    values = read_user(body, keep_active_when_absent=False)
    username = values.fields["username"]
    former = (
        User.objects.filter(username__iexact=username, scim_link__deleted_at__isnull=False)
        .select_for_update()
        .first()
    )
    if former is not None:
        _manager(values, former)
        try:
            user = core.user_update(actor=actor, user=former, source=SOURCE, **values.fields)
        except (ValidationFailed, StaleVersion) as error:
            raise refusal(error) from None
        _link_set(actor=actor, obj=user, external_id=values.external_id, clear_missing=True)
        return user
    _username_free(username, None)
    _manager(values, None)
    fields = dict(values.fields)
    try:
        user = core.user_create(
            actor=actor, username=fields.pop("username"), source=SOURCE, **fields
        )
    except ValidationFailed as error:
        raise refusal(error) from None
    _link_set(actor=actor, obj=user, external_id=values.external_id, clear_missing=True)
    return user


def _user_apply(*, actor, user: User, values: UserValues, expected_version, clear_external):
    if values.fields["username"].lower() != user.username.lower():
        _username_free(values.fields["username"], user)
    _manager(values, user)
    _refused_self(actor, user, values.fields)
    try:
        user = core.user_update(
            actor=actor,
            user=user,
            expected_version=expected_version,
            source=SOURCE,
            **values.fields,
        )
    except (ValidationFailed, StaleVersion) as error:
        raise refusal(error, if_match=expected_version is not None) from None
    _link_set(actor=actor, obj=user, external_id=values.external_id, clear_missing=clear_external)
    return user


@transaction.atomic
def scim_user_replace(*, actor, user_id, body, expected_version=None) -> User:
    """PUT /Users/<id>: the body is the whole person; what it leaves out is cleared."""
    user = _locked_user(user_id)
    values = read_user(body, keep_active_when_absent=True)
    return _user_apply(
        actor=actor,
        user=user,
        values=values,
        expected_version=expected_version,
        clear_external=True,
    )


@transaction.atomic
def scim_user_patch(*, actor, user_id, body, base: str, expected_version=None) -> User:
    """PATCH /Users/<id>: every operation applies, or none does."""
    user = _locked_user(user_id)
    document = patch.apply(USER, user_resource(user, base), body)
    values = read_user(document, keep_active_when_absent=True)
    return _user_apply(
        actor=actor,
        user=user,
        values=values,
        expected_version=expected_version,
        clear_external=True,
    )


@transaction.atomic
def scim_user_delete(*, actor, user_id, expected_version=None) -> None:
    """DELETE /Users/<id>: the person leaves. The account is disabled, never removed, so
    their tickets and history stay; SCIM answers 404 for them from now on."""
    user = _locked_user(user_id)
    _refused_self(actor, user, {"is_active": False})
    try:
        user = core.user_update(
            actor=actor,
            user=user,
            expected_version=expected_version,
            source=SOURCE,
            is_active=False,
        )
    except (ValidationFailed, StaleVersion) as error:
        raise refusal(error, if_match=expected_version is not None) from None
    _link_set(actor=actor, obj=user, external_id=None, clear_missing=False, deleted=True)
    audit_record(action="user.deprovisioned", obj=user, actor=actor)


# --- teams ----------------------------------------------------------------------------------
def _members(values: GroupValues) -> list[User]:
    people = {u.pk: u for u in visible_users().filter(pk__in=values.member_ids)}
    missing = [str(i) for i in values.member_ids if i not in people]
    if missing:
        raise invalid_value(f"No User with id {', '.join(missing)}: add people before teams.")
    return [people[i] for i in values.member_ids]


def _name_free(name: str, team: Team | None) -> None:
    clash = Team.objects.filter(name__iexact=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise ScimError(409, f"A team named {name!r} already exists.", "uniqueness")


@transaction.atomic
def scim_group_create(*, actor, body) -> Team:
    values = read_group(body)
    _name_free(values.name, None)
    members = _members(values)
    try:
        team = core.team_create(actor=actor, name=values.name, members=members)
    except ValidationFailed as error:
        raise refusal(error) from None
    _link_set(actor=actor, obj=team, external_id=values.external_id, clear_missing=True)
    return team


def _group_apply(*, actor, team: Team, values: GroupValues, expected_version) -> Team:
    _name_free(values.name, team)
    members = _members(values)
    # Members the identity provider cannot see (deleted over SCIM) stay where they are.
    hidden = list(team.members.filter(scim_link__deleted_at__isnull=False))
    try:
        team = core.team_update(
            actor=actor,
            team=team,
            expected_version=expected_version,
            name=values.name,
            members=members + hidden,
        )
    except (ValidationFailed, StaleVersion) as error:
        raise refusal(error, if_match=expected_version is not None) from None
    _link_set(actor=actor, obj=team, external_id=values.external_id, clear_missing=True)
    return team


@transaction.atomic
def scim_group_replace(*, actor, team_id, body, expected_version=None) -> Team:
    team = _locked_team(team_id)
    return _group_apply(
        actor=actor, team=team, values=read_group(body), expected_version=expected_version
    )


@transaction.atomic
def scim_group_patch(*, actor, team_id, body, base: str, expected_version=None) -> Team:
    team = _locked_team(team_id)
    document = patch.apply(GROUP, group_resource(team, base, members=group_members(team)), body)
    return _group_apply(
        actor=actor, team=team, values=read_group(document), expected_version=expected_version
    )


@transaction.atomic
def scim_group_delete(*, actor, team_id, expected_version=None) -> None:
    """DELETE /Groups/<id>: a team records still point at is refused (409), as in the UI."""
    team = _locked_team(team_id)
    try:
        core.team_delete(actor=actor, team=team, expected_version=expected_version)
    except (InUse, NotPermitted, StaleVersion) as error:
        raise refusal(error, if_match=expected_version is not None) from None


def group_members(team: Team) -> list[User]:
    return list(team.members.filter(~Q(scim_link__deleted_at__isnull=False)).order_by("pk"))
