"""Writes for users, teams and API tokens. Every function is one audited transaction."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.concurrency import lock_for_update
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import ApiToken, Team, User
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.records import record_create, record_delete, record_update, validated_save
from opsdesk.core.roles import Role, forget_roles, is_admin

TOKEN_PREFIX = "opsd_"


# --- users ------------------------------------------------------------------------------------
# What joiner, mover and leaver processing reads: a change to any of these is told as a
# ``user.changed`` fact with the values before, and access management reacts to it.
LIFECYCLE_FIELDS = ("is_active", "department", "job_title", "manager_id", "starts_on", "leaves_on")


def lifecycle_of(user: User) -> dict:
    return {name: getattr(user, name) for name in LIFECYCLE_FIELDS}


def _tell_lifecycle(user: User, before: dict | None, *, source: str) -> None:
    after = lifecycle_of(user)
    if before is not None and before == after:
        return
    outbox_publish(
        topic="user.changed",
        payload={"user_id": user.pk, "before": before, "source": source},
    )


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str | None = None,
    roles=(),
    source: str = "user record",
    **fields,
) -> User:
    user = User(username=username, **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    validated_save(user, exclude=["password"])
    user_set_roles(user=user, roles=roles, actor=actor, audit=False)
    _tell_lifecycle(user, None, source=source)
    audit_record(
        action="user.created",
        obj=user,
        changes={
            "username": {"from": None, "to": username},
            "roles": {"from": [], "to": sorted(str(r) for r in roles)},
        },
        actor=actor,
    )
    return user


@transaction.atomic
def user_update(
    *,
    actor,
    user: User,
    expected_version=None,
    roles=None,
    password=None,
    source: str = "user record",
    **fields,
) -> User:
    before = lifecycle_of(user)
    user = record_update(user, values=fields, actor=actor, expected_version=expected_version)
    _tell_lifecycle(user, before, source=source)
    if roles is not None:
        user_set_roles(user=user, roles=roles, actor=actor)
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
        # The fact, never the value.
        audit_record(action="user.password_set", obj=user, actor=actor)
    return user


def user_set_roles(*, user: User, roles, actor, audit: bool = True) -> None:
    wanted = sorted({str(Role(r)) for r in roles})
    before = sorted(user.groups.values_list("name", flat=True))
    if wanted == before:
        return
    user.groups.set(Group.objects.filter(name__in=wanted))
    forget_roles(user)
    if audit:
        audit_record(
            action="user.roles_changed",
            obj=user,
            changes={"roles": {"from": before, "to": wanted}},
            actor=actor,
        )


# --- teams ------------------------------------------------------------------------------------
@transaction.atomic
def team_create(*, actor, name: str, members=(), **fields) -> Team:
    return record_create(
        Team, values={"name": name, **fields}, actor=actor, m2m={"members": list(members)}
    )


@transaction.atomic
def team_update(*, actor, team: Team, expected_version=None, members=None, **fields) -> Team:
    if fields.get("escalation_team") is not None and fields["escalation_team"].pk == team.pk:
        raise ValidationFailed(
            "A team cannot escalate to itself.",
            fields={"escalation_team": ["Choose another team as the next tier."]},
        )
    m2m = {"members": list(members)} if members is not None else None
    return record_update(
        team, values=fields, actor=actor, expected_version=expected_version, m2m=m2m
    )


@transaction.atomic
def team_delete(*, actor, team: Team, expected_version=None) -> None:
    """Remove a team; one that records still point at is refused, so deactivate it instead."""
    if not is_admin(actor):
        raise NotPermitted("Only administrators may delete teams.")
    record_delete(team, actor=actor, expected_version=expected_version)


# --- API tokens -------------------------------------------------------------------------------
def token_hash(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is as good as a slow hash.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    actor,
    user: User,
    name: str,
    read_only: bool = False,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never shown again."""
    if actor is not None and actor.pk != user.pk and not is_admin(actor):
        raise NotPermitted("Only administrators create tokens for other users.")
    if not name or not name.strip():
        raise ValidationFailed(
            "Give the token a name.", fields={"name": ["This field is required."]}
        )
    if expires_in_days is not None and expires_in_days < 1:
        raise ValidationFailed(
            "Expiry must be at least one day.", fields={"expires_in_days": ["At least 1."]}
        )
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        key_prefix=prefix,
        key_hash=token_hash(raw),
        read_only=read_only,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
        created_by=actor,
    )
    audit_record(
        action="token.created",
        obj=token,
        changes={
            "user": {"from": None, "to": user.username},
            "read_only": {"from": None, "to": read_only},
        },
        actor=actor,
    )
    return token, raw


def token_authenticate(raw: str) -> ApiToken | None:
    """The usable token for this secret, or None. Records when it was last used."""
    if not raw.startswith(TOKEN_PREFIX) or raw.count("_") < 2:
        return None
    prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.select_related("user").filter(key_prefix=prefix).first()
    if token is None or not secrets.compare_digest(token.key_hash, token_hash(raw)):
        return None
    now = timezone.now()
    if not token.is_usable(now) or not token.user.is_active:
        return None
    # At most one write a minute per token: last-used is for humans, not for accounting.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    if actor.pk != token.user_id and not is_admin(actor):
        raise NotPermitted("You may only revoke your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="token.revoked", obj=token, actor=actor)
    return token


# --- self-service ----------------------------------------------------------------------------
@transaction.atomic
def user_set_available(*, actor, user: User, available: bool) -> User:
    """Mark an agent available for automatic assignment, or away; their own or an admin's call.

    It sets a value rather than flipping one, so a repeated or crossed request cannot undo the
    other; setting the value it already has changes nothing.
    """
    if actor is None or not (actor.pk == user.pk or is_admin(actor)):
        raise NotPermitted("Only the person themself or an administrator changes availability.")
    if not isinstance(available, bool):
        raise ValidationFailed(
            "Availability is on or off.", fields={"available": ["Choose available or away."]}
        )
    current = lock_for_update(User, user.pk)
    if current.available == available:
        return current
    return record_update(
        current,
        values={"available": available},
        actor=actor,
        action="user.availability_changed",
        locked=True,
    )


PROFILE_FIELDS = frozenset({"display_name", "phone", "time_zone"})


@transaction.atomic
def profile_update(*, actor, user: User, expected_version=None, **fields) -> User:
    """A user changes their own display name, phone or time zone (and nothing else)."""
    if actor is None or actor.pk != user.pk:
        raise NotPermitted("People change only their own profile.")
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ValidationFailed(
            "These fields are not part of the profile.",
            fields={name: ["Not changeable here."] for name in sorted(unknown)},
        )
    return record_update(
        user,
        values=fields,
        actor=actor,
        expected_version=expected_version,
        action="user.profile_updated",
    )
