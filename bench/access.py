"""Access management benchmarks: a leaver's removals reaching the directories, the nightly
segregation-of-duties scan, and generating an access review's items.

    .venv/bin/python bench/access.py                       # SQLite in a temporary data dir
    .venv/bin/python bench/access.py --quick               # a smoke run over small numbers
    OPSDESK_DATABASE_URL=postgres://USER@HOST:5432/postgres .venv/bin/python bench/access.py

On PostgreSQL it creates (and finally drops) a database named opsdesk_bench_access (or
``$OPSDESK_BENCH_DB``) on the server OPSDESK_DATABASE_URL points at; nothing else is touched.
It runs in one process, calling the services as the web request and the worker would:

(a) leaver: slapd and the SCIM test server (``opsdesk.access.testing``) on free ports of
    127.0.0.1, ``--leaver-grants`` groups split between them with the person a member of each,
    and as many provisioned grants. Timed: ``person_leave_now``, then delivering the outbox
    (as the worker does) until every removal and the SCIM account's disabling is done. The
    directories are then read back: the person must be in none of the groups.
(b) SoD scan: ``--people`` people and ``--grants`` grants over ``--entitlements``
    entitlements, written with COPY (PostgreSQL) or multi-row INSERTs (SQLite), and ``--rules``
    rules with mixed "any"/"all" sides. Random holdings are repaired so that nobody breaks a
    rule by chance; then ``--violators`` people are given both sides of one rule, and
    ``--near-misses`` people both sides at times that never overlap. Timed: ``sod_scan()``,
    which must find exactly the planted violators and resolve the ``--stale`` open violations
    of people who no longer break their rule; then a second scan, which finds nothing new.
(c) campaign: ``--campaign-items`` active grants on one application reviewed by the holders'
    managers. Timed: ``campaign_start`` (the items, written in bulk, and the reviewers' facts).

The goals (issue 13): the leaver in seconds; the scan over 50,000 people and 500,000 grants
under 60 s on PostgreSQL; 20,000 review items under 30 s. Progress goes to stderr, figures to
stdout.
"""

import argparse
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
# bench/ holds a requests.py: keep the folder off the path, so that a library importing the
# HTTP library finds it and not that script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

# A run on a shared server can name its own database: OPSDESK_BENCH_DB=...
BENCH_DB = os.environ.get("OPSDESK_BENCH_DB", "opsdesk_bench_access")
BATCH = 20_000
DEPARTMENTS = ["Finance", "Sales", "Operations", "Engineering", "Legal", "People", "Support"]
# Rule shapes, cycled: (left size, left match, right size, right match).
SHAPES = [
    (2, "any", 2, "any"),
    (2, "all", 3, "any"),
    (3, "any", 2, "all"),
    (3, "all", 2, "all"),
    (1, "any", 1, "any"),
]
ACTIONS = ["block", "approve", "record"]


class Failed(Exception):
    """A measurement that could not be taken, or whose result was wrong; the others go on."""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    os.environ.setdefault("OPSDESK_LOG_LEVEL", "WARNING")
    # The worker queue stays in the data dir: nothing here wakes a shared Redis.
    os.environ.pop("OPSDESK_REDIS_URL", None)
    import django

    django.setup()


def prepare_database() -> tuple[str, object]:
    """Point opsdesk at a throwaway database; returns (backend, cleanup)."""
    work = tempfile.mkdtemp(prefix="opsdesk-bench-access-")
    # The audit key and checkpoint of the throwaway trail live beside the data directory
    # (never inside it, and never in the operator's own configuration directory).
    os.environ["OPSDESK_DATA_DIR"] = os.path.join(work, "data")
    os.environ["OPSDESK_CONFIG_DIR"] = os.path.join(work, "config")
    os.environ["OPSDESK_AUDIT_KEY"] = secrets.token_hex(32)
    url = os.environ.get("OPSDESK_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["OPSDESK_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))

        def cleanup():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            shutil.rmtree(work, ignore_errors=True)

        return "postgresql", cleanup
    if url and not url.startswith("sqlite"):
        raise SystemExit(f"Unsupported OPSDESK_DATABASE_URL scheme: {url.split(':', 1)[0]}")
    os.environ.pop("OPSDESK_DATABASE_URL", None)
    return "sqlite", lambda: shutil.rmtree(work, ignore_errors=True)


# --- fast writes ------------------------------------------------------------------------------
class Rows:
    """Rows of one model written in bulk: COPY on PostgreSQL, multi-row INSERTs on SQLite.

    ``columns`` are the attributes each row gives (values ready for the database: ids,
    strings, and times from :meth:`at`); every other column takes ``constants`` or the field's
    default, prepared once. No model instances, signals or audit rows: the scan and the
    campaign read grants and people, not their history.
    """

    def __init__(self, model, columns: list[str], constants: dict):
        from django.db import connection

        self.connection = connection
        self.table = model._meta.db_table
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.columns = [fields[name].column for name in columns]
        self.fixed: list = []
        for field in model._meta.concrete_fields:
            if field.primary_key or field.attname in columns:
                continue
            value = constants[field.attname] if field.attname in constants else field.get_default()
            self.columns.append(field.column)
            self.fixed.append(field.get_db_prep_save(value, connection))
        self._times: dict = {}

    def at(self, moment):
        """A time as the database takes it (cached: the benches' times repeat)."""
        if moment is None:
            return None
        value = self._times.get(moment)
        if value is None:
            value = self._times[moment] = self.connection.ops.adapt_datetimefield_value(moment)
        return value

    def write(self, rows: list[tuple]) -> None:
        from django.db import transaction

        fixed = tuple(self.fixed)
        names = ", ".join(self.columns)
        with transaction.atomic(), self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + fixed)
                return
            placeholders = "(" + ", ".join(["?"] * len(self.columns)) + ")"
            # SQLite caps bound variables at 32,766 a statement.
            per_statement = 32766 // len(self.columns)
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                sql = f"INSERT INTO {self.table} ({names}) VALUES " + ", ".join(
                    [placeholders] * len(chunk)
                )
                cursor.cursor.execute(sql, [v for row in chunk for v in row + fixed])


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def application(name: str):
    from opsdesk.cmdb.models import CIClass, ConfigurationItem

    return ConfigurationItem.objects.create(
        name=name, ci_class=CIClass.objects.get(key="application")
    )


def access_manager():
    from django.contrib.auth.models import Group

    from opsdesk.core.models import User
    from opsdesk.core.roles import Role

    user, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"display_name": "Ada Admin", "email": "ada@example.com"}
    )
    user.groups.add(Group.objects.get_or_create(name=str(Role.ADMINISTRATOR))[0])
    return user


# --- (a) a leaver -----------------------------------------------------------------------------
LEAVER = ("leo.leaver", "Leo", "Leaver")


def bench_leaver(count: int, work_dir: Path) -> None:
    from opsdesk.access.testing import ldap_server, scim_server

    missing = ldap_server.available() or scim_server.available()
    if missing:
        raise Failed(f"The leaver bench needs the test directories: {missing}")
    slapd = ldap_server.LdapServer(work_dir / "slapd")
    scim = scim_server.ScimServer()
    say("Starting slapd and the SCIM server…")
    slapd.start(people=[LEAVER])
    try:
        scim.start()
        _leaver_run(count, slapd=slapd, scim=scim)
    finally:
        scim.stop()
        slapd.stop()


def _ldap_admin(slapd):
    import ldap3

    from opsdesk.access.testing import ldap_server

    return ldap3.Connection(
        slapd.url, ldap_server.ADMIN_DN, ldap_server.ADMIN_PASSWORD, auto_bind=True
    )


def _ldap_groups_of(slapd, person_dn: str) -> int:
    import ldap3
    from ldap3.utils.conv import escape_filter_chars

    from opsdesk.access.testing import ldap_server

    with _ldap_admin(slapd) as admin:
        admin.search(
            ldap_server.GROUPS,
            f"(&(objectClass=groupOfNames)(member={escape_filter_chars(person_dn)}))",
            ldap3.SUBTREE,
            attributes=[],
            paged_size=1000,
        )
        return len([e for e in admin.response if e.get("type") == "searchResEntry"])


def _scim_groups_of(scim_http, user_id: str, group_ids: list[str]) -> int:
    return sum(
        user_id in {m["value"] for m in scim_http.get(f"/Groups/{gid}").json().get("members", [])}
        for gid in group_ids
    )


def _leaver_run(count: int, *, slapd, scim) -> None:
    import httpx

    from opsdesk.access import services
    from opsdesk.access.models import (
        Entitlement,
        GrantSource,
        ProvisioningStep,
        ProvisioningTarget,
        StepState,
        TargetKind,
    )
    from opsdesk.access.testing import ldap_server, scim_server
    from opsdesk.core.context import action_context
    from opsdesk.core.models import OutboxEvent, User
    from opsdesk.core.models.outbox import OutboxStatus
    from opsdesk.core.outbox import outbox_deliver_due

    username, first, last = LEAVER
    person_dn = f"uid={username},{ldap_server.PEOPLE}"
    n_ldap = count // 2
    n_scim = count - n_ldap
    say(f"Creating {n_ldap} LDAP and {n_scim} SCIM groups with {username} in each…")
    ldap_dns = []
    with _ldap_admin(slapd) as admin:
        for n in range(n_ldap):
            dn = f"cn=bench-ldap-{n},{ldap_server.GROUPS}"
            # The placeholder stays when the person leaves: groupOfNames needs a member.
            ok = admin.add(dn, ["groupOfNames"], {"member": [person_dn, ldap_server.NOBODY_DN]})
            if not ok:
                raise Failed(f"slapd refused group {dn}: {admin.result}")
            ldap_dns.append(dn)
    scim_http = httpx.Client(
        base_url=scim.url,
        headers={
            "Authorization": f"Bearer {scim_server.TOKEN}",
            "Content-Type": "application/scim+json",
        },
        timeout=10,
    )
    user = scim_http.post(
        "/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": username,
            "active": True,
        },
    )
    user.raise_for_status()
    scim_user = user.json()["id"]
    scim_ids = []
    for n in range(n_scim):
        group = scim_http.post(
            "/Groups",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": f"bench-scim-{n}",
                "members": [{"value": scim_user}],
            },
        )
        group.raise_for_status()
        scim_ids.append(group.json()["id"])

    admin = access_manager()
    leo = User.objects.create(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@example.com",
        department="Finance",
    )
    ldap_target = ProvisioningTarget.objects.create(
        name="Corporate LDAP",
        kind=TargetKind.LDAP,
        url=slapd.url,
        username=ldap_server.PROVISIONER_DN,
        secret=ldap_server.PROVISIONER_PASSWORD,
        settings={
            "people_base": ldap_server.PEOPLE,
            "groups_base": ldap_server.GROUPS,
            "user_attribute": "uid",
            "member_attribute": "member",
            "placeholder_member": ldap_server.NOBODY_DN,
        },
    )
    scim_target = ProvisioningTarget.objects.create(
        name="Identity provider", kind=TargetKind.SCIM, url=scim.url, secret=scim_server.TOKEN
    )
    app = application("Leaver's applications")
    entitlements = Entitlement.objects.bulk_create(
        [
            Entitlement(
                name=f"LDAP group {n}",
                application=app,
                owner=admin,
                target=ldap_target,
                external_id=dn,
            )
            for n, dn in enumerate(ldap_dns)
        ]
        + [
            Entitlement(
                name=f"SCIM group {n}",
                application=app,
                owner=admin,
                target=scim_target,
                external_id=group_id,
            )
            for n, group_id in enumerate(scim_ids)
        ]
    )
    for entitlement in entitlements:
        # Already in the directories: recorded as provisioned, no add to run.
        services.grant_create(
            actor=None,
            holder=leo,
            entitlement=entitlement,
            source=GrantSource.MIGRATION,
            already_provisioned=True,
        )
    with action_context(source="worker"):
        while outbox_deliver_due(limit=1000) != (0, 0):
            pass
    held = (_ldap_groups_of(slapd, person_dn), _scim_groups_of(scim_http, scim_user, scim_ids))
    if held != (n_ldap, n_scim):
        raise Failed(f"The directories list {username} in {held} groups, not {n_ldap, n_scim}")

    say(f"Processing {username} as a leaver…")
    began = time.perf_counter()
    event = services.person_leave_now(actor=admin, person=leo, why="Benchmark leaver")
    left_at = time.perf_counter()
    delivered = 0
    deadline = time.monotonic() + 600
    with action_context(source="worker"):
        while time.monotonic() < deadline:
            done, failed = outbox_deliver_due(limit=1000)
            delivered += done
            if not done and not failed:
                break
    finished = time.perf_counter()

    steps = ProvisioningStep.objects.filter(batch=event.batch)
    states: dict[str, int] = {}
    for state in steps.values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    undelivered = OutboxEvent.objects.exclude(status=OutboxStatus.DELIVERED)
    if set(states) != {StepState.DONE} or undelivered.exists():
        errors = [
            *steps.exclude(last_error="").values_list("last_error", flat=True)[:1],
            *undelivered.values_list("last_error", flat=True)[:1],
        ]
        reason = errors[0].splitlines()[0] if errors else "no error recorded"
        raise Failed(
            f"not every step is done ({states}; {undelivered.count()} outbox events "
            f"undelivered): {reason}"
        )
    still_ldap = _ldap_groups_of(slapd, person_dn)
    still_scim = _scim_groups_of(scim_http, scim_user, scim_ids)
    active = scim_http.get(f"/Users/{scim_user}").json().get("active")
    scim_http.close()
    if still_ldap or still_scim or active is not False:
        raise Failed(
            f"{username} is still in {still_ldap} LDAP and {still_scim} SCIM groups "
            f"(SCIM account active: {active})"
        )
    total = finished - began
    n_steps = sum(states.values())
    print(
        f"leaver                 {count} grants ({n_ldap} LDAP, {n_scim} SCIM): "
        f"person_leave_now {left_at - began:5.2f} s, {n_steps} steps done in "
        f"{finished - left_at:5.2f} s ({delivered} outbox events); "
        f"end to end {total:5.2f} s, {n_steps / total:5.1f} steps/s"
    )
    print(f"                       the directories no longer list {username}")


# --- (b) the segregation-of-duties scan -------------------------------------------------------
@dataclass
class RulePlan:
    name: str
    left: frozenset[int]
    left_match: str
    right: frozenset[int]
    right_match: str

    def broken_by(self, held: set[int]) -> bool:
        return self._met(self.left, self.left_match, held) and self._met(
            self.right, self.right_match, held
        )

    @staticmethod
    def _met(side, match, held) -> bool:
        return side <= held if match == "all" else bool(side & held)


def people_create(count: int, rng: random.Random) -> list[int]:
    """``count`` people; one in a hundred manages the others. Returns their ids in order."""
    from django.utils import timezone

    from opsdesk.core.models import User

    now = timezone.now()
    constants = {"password": "!bench", "date_joined": now, "is_active": True}
    columns = ["username", "first_name", "last_name", "email", "department", "manager_id"]
    rows = Rows(User, columns, constants)
    managers = max(1, count // 100)

    def row(n, manager):
        username = f"p{n:06d}"
        return (
            username,
            "Pat",
            f"Person {n}",
            f"{username}@example.com",
            DEPARTMENTS[n % 7],
            manager,
        )

    rows.write([row(n, None) for n in range(managers)])
    manager_ids = list(
        User.objects.filter(username__regex=r"^p[0-9]{6}$", manager__isnull=True)
        .order_by("username")
        .values_list("pk", flat=True)
    )
    for start in range(managers, count, BATCH):
        rows.write(
            [
                row(n, manager_ids[rng.randrange(len(manager_ids))])
                for n in range(start, min(count, start + BATCH))
            ]
        )
    return list(
        User.objects.filter(username__regex=r"^p[0-9]{6}$")
        .order_by("username")
        .values_list("pk", flat=True)
    )


def rules_plan(entitlements: list[int], count: int) -> tuple[list[RulePlan], list[int]]:
    """Rules over disjoint sets of entitlements (so breaking one never breaks another), and
    the entitlements no rule names."""
    rules, at = [], 0
    for n in range(count):
        left_n, left_match, right_n, right_match = SHAPES[n % len(SHAPES)]
        left = frozenset(entitlements[at : at + left_n])
        right = frozenset(entitlements[at + left_n : at + left_n + right_n])
        at += left_n + right_n
        rules.append(RulePlan(f"Rule {n + 1}", left, left_match, right, right_match))
    free = entitlements[at:]
    if len(free) < 20:
        raise Failed(f"{len(entitlements)} entitlements are too few for {count} rules")
    return rules, free


def _repair(held: set[int], rules: list[RulePlan], free: list[int], rng) -> None:
    """Make ``held`` break no rule: drop one entitlement of an "all" side, or everything held
    of an "any" side, for free entitlements instead (the count stays)."""
    for rule in rules:
        if not rule.broken_by(held):
            continue
        if rule.left_match == "all" or rule.right_match == "all":
            side = rule.left if rule.left_match == "all" else rule.right
            dropped = [rng.choice(sorted(side))]
        else:
            side = min((rule.left, rule.right), key=lambda s: len(s & held))
            dropped = sorted(side & held)
        for entitlement in dropped:
            held.discard(entitlement)
            while True:
                other = free[rng.randrange(len(free))]
                if other not in held:
                    held.add(other)
                    break


def sod_setup(args, rng: random.Random, people: list[int], admin):
    """Entitlements, rules and grants; returns (rule ids by name, planted pairs, stale)."""
    from django.utils import timezone

    from opsdesk.access.models import (
        Entitlement,
        Grant,
        GrantSource,
        GrantState,
        SodRule,
        SodViolation,
        ViolationState,
    )

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    apps = [application(f"Business application {n}") for n in range(max(1, args.entitlements // 5))]
    entitlements = [
        e.pk
        for e in Entitlement.objects.bulk_create(
            [
                Entitlement(
                    name=f"Role {n}",
                    application=apps[n % len(apps)],
                    owner=admin,
                    risk=["low", "medium", "high", "privileged"][n % 4],
                )
                for n in range(args.entitlements)
            ]
        )
    ]
    plans, free = rules_plan(entitlements, args.rules)
    rule_ids = {}
    for n, plan in enumerate(plans):
        rule = SodRule.objects.create(
            name=plan.name,
            left_match=plan.left_match,
            right_match=plan.right_match,
            action=ACTIONS[n % len(ACTIONS)],
        )
        rule.left.set(plan.left)
        rule.right.set(plan.right)
        rule_ids[plan.name] = rule.pk

    chosen = rng.sample(range(len(people)), args.violators + args.near_misses)
    planted = {index: plans[k % len(plans)] for k, index in enumerate(chosen)}
    near_miss = set(chosen[args.violators :])
    expected = {(rule_ids[planted[i].name], people[i]) for i in chosen[: args.violators]}
    pools = {
        plan.name: [e for e in entitlements if e not in plan.left | plan.right] for plan in plans
    }

    base, extra = divmod(args.grants, len(people))
    grants = Rows(
        Grant,
        ["holder_id", "entitlement_id", "state", "valid_from", "valid_to", "started_at"],
        {"created_at": now, "updated_at": now, "source": GrantSource.REQUEST},
    )
    active, scheduled = str(GrantState.ACTIVE), str(GrantState.SCHEDULED)

    def background(holder, entitlement):
        if rng.random() < 0.05:  # starts later
            start = now + timedelta(hours=rng.randint(24, 60 * 24))
            end = None if rng.random() < 0.5 else start + timedelta(days=rng.randint(30, 365))
            return (holder, entitlement, scheduled, grants.at(start), grants.at(end), None)
        start = now - timedelta(hours=rng.randint(1, 700 * 24))
        end = None if rng.random() < 0.75 else now + timedelta(hours=rng.randint(24, 365 * 24))
        return (holder, entitlement, active, grants.at(start), grants.at(end), grants.at(start))

    say(f"Writing {args.grants:,} grants for {len(people):,} people…")
    rows: list[tuple] = []
    written = 0
    for index, holder in enumerate(people):
        count = base + (1 if index < extra else 0)
        plan = planted.get(index)
        mine: list[tuple] = []
        if plan is not None:
            sides = []
            for side, match in ((plan.left, plan.left_match), (plan.right, plan.right_match)):
                ordered = sorted(side)
                sides.append(
                    ordered if match == "all" else rng.sample(ordered, rng.randint(1, len(ordered)))
                )
            left, right = sides
            if index in near_miss:
                # Both sides, but the left ends before the right starts: never at once.
                for e in left:
                    start = now - timedelta(days=rng.randint(30, 300))
                    mine.append(
                        (
                            holder,
                            e,
                            active,
                            grants.at(start),
                            grants.at(now + timedelta(days=5)),
                            grants.at(start),
                        )
                    )
                start = now + timedelta(days=10)
                mine += [(holder, e, scheduled, grants.at(start), None, None) for e in right]
            else:
                later = index % 3 == 0  # the right side starts later, while the left is held
                for e in left:
                    start = now - timedelta(days=rng.randint(30, 300))
                    mine.append((holder, e, active, grants.at(start), None, grants.at(start)))
                for e in right:
                    if later:
                        start = now + timedelta(days=rng.randint(1, 30))
                        mine.append((holder, e, scheduled, grants.at(start), None, None))
                    else:
                        start = now - timedelta(days=rng.randint(1, 300))
                        mine.append((holder, e, active, grants.at(start), None, grants.at(start)))
            pool = pools[plan.name]
        else:
            pool = entitlements
        held = set(rng.sample(pool, max(0, count - len(mine))))
        _repair(held, plans, free, rng)
        rows += mine + [background(holder, e) for e in held]
        if len(rows) >= BATCH:
            grants.write(rows)
            written += len(rows)
            rows = []
            if written % 100_000 < BATCH:
                say(f"  {written:>9,} grants")
    grants.write(rows)

    # Open violations of people who broke a rule once and no longer do: the scan resolves them.
    innocent = [p for i, p in enumerate(people) if i not in planted]
    stale = SodViolation.objects.bulk_create(
        [
            SodViolation(
                rule_id=rule_ids[plans[n % len(plans)].name],
                person_id=innocent[n * 7 % len(innocent)],
                state=ViolationState.OPEN,
                found_at=now - timedelta(days=1),
                found_by="scan",
            )
            for n in range(args.stale)
        ]
    )
    analyze()
    return entitlements, expected, len(stale)


def bench_sod(args, rng, people, admin) -> None:
    from opsdesk.access.models import Grant, SodViolation, ViolationState
    from opsdesk.access.services import sod_scan
    from opsdesk.core.context import action_context

    began = time.monotonic()
    entitlements, expected, stale = sod_setup(args, rng, people, admin)
    in_rules = Grant.objects.filter(entitlement_id__in=entitlements).count()
    say(f"  written in {time.monotonic() - began:.0f} s")
    say("Scanning…")
    with action_context(source="worker"):
        began = time.perf_counter()
        result = sod_scan()
        first = time.perf_counter() - began
        began = time.perf_counter()
        again = sod_scan()
        second = time.perf_counter() - began
    found = set(
        SodViolation.objects.filter(state=ViolationState.OPEN).values_list("rule_id", "person_id")
    )
    wrong = []
    if found != expected:
        wrong.append(
            f"{len(found - expected)} violations found that were not planted, "
            f"{len(expected - found)} planted ones missed"
        )
    if result != {"found": len(expected), "resolved": stale}:
        wrong.append(f"the first scan said {result}")
    if again != {"found": 0, "resolved": 0}:
        wrong.append(f"the second scan said {again}")
    print(
        f"SoD scan               {len(people):,} people, {in_rules:,} grants, "
        f"{args.entitlements} entitlements, {args.rules} rules: {first:6.2f} s "
        f"(found {result['found']}, resolved {result['resolved']}); again {second:6.2f} s"
    )
    if wrong:
        raise Failed("The scan was wrong: " + "; ".join(wrong))
    print(
        f"                       found exactly the {len(expected)} planted violators "
        f"(and none of the {args.near_misses} whose sides never overlap)"
    )


# --- (c) an access review ---------------------------------------------------------------------
def bench_campaign(args, people, admin) -> None:
    from django.utils import timezone

    from opsdesk.access.models import Entitlement, Grant, GrantSource, GrantState
    from opsdesk.access.services.reviews import campaign_create, campaign_start

    now = timezone.now().replace(second=0, microsecond=0)
    app = application("Reviewed application")
    entitlements = [
        e.pk
        for e in Entitlement.objects.bulk_create(
            [
                Entitlement(name=f"Reviewed role {n}", application=app, owner=admin)
                for n in range(10)
            ]
        )
    ]
    if args.campaign_items > len(people) * len(entitlements):
        raise Failed("More review items than people times the reviewed roles.")
    say(f"Writing {args.campaign_items:,} grants to review…")
    rows = Rows(
        Grant,
        ["holder_id", "entitlement_id", "valid_from", "started_at"],
        {
            "created_at": now,
            "updated_at": now,
            "source": GrantSource.REQUEST,
            "state": GrantState.ACTIVE,
        },
    )
    start = rows.at(now - timedelta(days=90))
    batch = []
    for n in range(args.campaign_items):
        batch.append((people[n % len(people)], entitlements[n // len(people)], start, start))
        if len(batch) >= BATCH:
            rows.write(batch)
            batch = []
    rows.write(batch)
    analyze()
    campaign = campaign_create(
        actor=admin,
        name="Quarterly recertification",
        deadline=now + timedelta(days=14),
        stages=["manager"],
        scope_applications=[app],
    )
    say("Starting the campaign…")
    began = time.perf_counter()
    items = campaign_start(actor=admin, campaign=campaign)
    took = time.perf_counter() - began
    if items != args.campaign_items:
        raise Failed(f"The campaign made {items} items, not {args.campaign_items}")
    print(
        f"campaign               {items:,} review items (managers at stage 1): "
        f"{took:6.2f} s, {items / took:,.0f} items/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leaver-grants", type=int, default=200)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--grants", type=int, default=500_000, help="grants the scan reads")
    parser.add_argument("--entitlements", type=int, default=200)
    parser.add_argument("--rules", type=int, default=20)
    parser.add_argument("--violators", type=int, default=500, help="people planted to be found")
    parser.add_argument("--near-misses", type=int, default=200)
    parser.add_argument("--stale", type=int, default=50, help="open violations to resolve")
    parser.add_argument("--campaign-items", type=int, default=20_000)
    parser.add_argument("--only", default="leaver,sod,campaign", help="which, comma-separated")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--quick", action="store_true", help="small numbers: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.leaver_grants, args.people, args.grants = 20, 2_000, 20_000
        args.violators, args.near_misses, args.stale, args.campaign_items = 40, 20, 10, 1_000
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    if only - {"leaver", "sod", "campaign"}:
        raise SystemExit("--only takes leaver, sod and campaign")

    backend, cleanup = prepare_database()
    setup_django()
    try:
        from django.core.management import call_command

        say(f"Backend: {backend}. Creating the schema…")
        call_command("migrate", verbosity=0)
        print(f"backend                {backend}")
        admin = access_manager()
        rng = random.Random(args.seed)
        failed = []

        def measure(label, run, *arguments):
            try:
                run(*arguments)
            except Failed as error:
                failed.append(label)
                print(f"{label:<22} FAILED: {error}")

        if "leaver" in only:
            work_dir = Path(os.environ["OPSDESK_DATA_DIR"])
            measure("leaver", bench_leaver, args.leaver_grants, work_dir)
        if only & {"sod", "campaign"}:
            say(f"Writing {args.people:,} people…")
            people = people_create(args.people, rng)
            if "sod" in only:
                measure("SoD scan", bench_sod, args, rng, people, admin)
            if "campaign" in only:
                measure("campaign", bench_campaign, args, people, admin)
    finally:
        cleanup()
    if failed:
        raise SystemExit(f"Failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
