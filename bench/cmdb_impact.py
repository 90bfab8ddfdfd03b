"""Impact-analysis benchmark: a 100,000-CI, 300,000-relationship CMDB, p50/p95 latency.

    .venv/bin/python bench/cmdb_impact.py                       # SQLite in a temporary data dir
    OPSDESK_DATABASE_URL=postgres://USER@HOST:5432/postgres .venv/bin/python bench/cmdb_impact.py

Add ``--keep`` to leave the CMDB in place (SQLite: in ``--data-dir``; PostgreSQL: the bench
database) so that later runs with the same options measure without rebuilding it.

On PostgreSQL it creates (and finally drops) a database named opsdesk_bench_cmdb on the server
OPSDESK_DATABASE_URL points at; nothing else is touched. The CMDB is 100 clusters of 1,000 CIs
(business services, applications, VMs and databases, hosts, network and storage) with 3,000
relationships each, some between clusters and some forming cycles. The CI measured is a
cluster's core switch, whose impact reaches about 1,000 CIs.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = "opsdesk_bench_cmdb"
CLUSTERS, PER_CLUSTER = 100, 1000
# Offsets of each tier inside a cluster of 1,000 CIs.
SERVICES, APPS, HOSTED, HOSTS, INFRA = (0, 100), (100, 350), (350, 650), (650, 950), (950, 1000)
CORE_SWITCH = 950


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare_database(*, keep: bool = False, data_dir: str | None = None) -> tuple[str, object]:
    """Point opsdesk at a throwaway database; returns (backend, cleanup)."""
    url = os.environ.get("OPSDESK_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]
            ).fetchone()
            if not (keep and exists):
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
                conn.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["OPSDESK_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
        os.environ.setdefault("OPSDESK_DATA_DIR", tempfile.mkdtemp(prefix="opsdesk-bench-"))

        def cleanup():
            from django.db import connections

            connections.close_all()
            if keep:
                return
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")

        return "postgresql", cleanup
    if url and not url.startswith("sqlite"):
        raise SystemExit(f"Unsupported OPSDESK_DATABASE_URL scheme: {url.split(':', 1)[0]}")
    if data_dir:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    else:
        data_dir = tempfile.mkdtemp(prefix="opsdesk-bench-")
    os.environ.pop("OPSDESK_DATABASE_URL", None)
    os.environ["OPSDESK_DATA_DIR"] = data_dir
    if keep:
        return "sqlite", lambda: say(f"Kept the CMDB in {data_dir}")
    return "sqlite", lambda: shutil.rmtree(data_dir, ignore_errors=True)


def cluster_edges(rng: random.Random, cluster: int) -> set[tuple[int, str, int]]:
    """3,000 (source, type, target) edges by CI index; some targets are in the next cluster."""
    base, nxt = cluster * PER_CLUSTER, ((cluster + 1) % CLUSTERS) * PER_CLUSTER
    edges: set[tuple[int, str, int]] = set()

    def pick(tier, offset=base):
        return offset + rng.randrange(*tier)

    for s in range(*SERVICES):
        for _ in range(3):
            edges.add((base + s, "depends_on", pick(APPS)))
        edges.add((base + s, "depends_on", pick(APPS, nxt)))  # a service leaning on a neighbour
    for a in range(*APPS):
        edges.add((base + a, "part_of", pick(SERVICES)))
        edges.add((base + a, "runs_on", pick(HOSTED)))
        edges.add((base + a, "runs_on", pick(HOSTED)))
    for _ in range(150):
        edges.add((pick(APPS), "depends_on", pick(APPS)))
    for h in range(*HOSTED):
        edges.add((base + h, "hosted_on", pick(HOSTS)))
        edges.add((base + h, "hosted_on", pick(HOSTS)))
    for h in range(*HOSTS):
        edges.add((base + h, "connects_to", base + CORE_SWITCH))
        edges.add((base + h, "depends_on", pick((951, 956))))  # storage arrays
        edges.add((base + h, "connects_to", pick((956, 1000))))  # access switches
    for _ in range(150):
        edges.add((pick(HOSTS), "connects_to", pick(HOSTS)))  # cycles among hosts
    for i in range(956, 1000):
        edges.add((base + i, "connects_to", base + CORE_SWITCH))
    edges = {(s, t, d) for s, t, d in edges if s != d}
    while len(edges) < 3 * PER_CLUSTER:  # top up what de-duplication removed
        source, target = pick(HOSTS), pick(HOSTS)
        if source != target:
            edges.add((source, "connects_to", target))
    return edges


def build(deadline: float) -> list[int]:
    from django.db import connection, transaction

    from opsdesk.cmdb.models import CIClass, ConfigurationItem, Relationship

    classes = {c.key: c.pk for c in CIClass.objects.all()}
    tier_class = [
        (SERVICES, "business_service"),
        (APPS, "application"),
        (HOSTED, "virtual_machine"),
        (HOSTS, "server"),
        ((950, 951), "network_device"),
        ((951, 956), "storage"),
        ((956, 1000), "network_device"),
    ]
    class_of = {}
    for (low, high), key in tier_class:
        for offset in range(low, high):
            class_of[offset] = classes[key]
    started = time.monotonic()
    batch = []
    for index in range(CLUSTERS * PER_CLUSTER):
        offset = index % PER_CLUSTER
        batch.append(
            ConfigurationItem(
                name=f"c{index // PER_CLUSTER:03d}-ci{offset:04d}",
                ci_class_id=class_of[offset],
                criticality=1 + offset % 4,
            )
        )
        if len(batch) == 10000:
            with transaction.atomic():
                ConfigurationItem.objects.bulk_create(batch)
            batch = []
            say(f"  {index + 1:>7,} CIs ({time.monotonic() - started:.0f} s)")
            if time.monotonic() > deadline:
                raise SystemExit("Build took too long; stopping.")
    ids = list(ConfigurationItem.objects.order_by("id").values_list("id", flat=True))
    rng = random.Random(20241126)
    rows, total = [], 0
    for cluster in range(CLUSTERS):
        rows.extend(
            Relationship(source_id=ids[s], type=t, target_id=ids[d])
            for s, t, d in sorted(cluster_edges(rng, cluster))
        )
        if len(rows) >= 30000 or cluster == CLUSTERS - 1:
            with transaction.atomic():
                Relationship.objects.bulk_create(rows, batch_size=5000)
            total += len(rows)
            rows = []
            say(f"  {total:>7,} relationships ({time.monotonic() - started:.0f} s)")
            if time.monotonic() > deadline:
                raise SystemExit("Build took too long; stopping.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--max-depth", type=int, default=10)
    parser.add_argument("--max-build-seconds", type=int, default=900)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the built CMDB")
    parser.add_argument("--data-dir", help="SQLite: the data directory to build in or reuse")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    backend, cleanup = prepare_database(keep=args.keep, data_dir=args.data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    os.environ.setdefault("OPSDESK_LOG_LEVEL", "WARNING")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from opsdesk.cmdb.models import ConfigurationItem, Relationship
        from opsdesk.cmdb.selectors import ci_dependencies, ci_impacted_services

        say(f"Backend: {backend}. Creating the schema…")
        call_command("migrate", verbosity=0)
        started = time.monotonic()
        if args.keep and ConfigurationItem.objects.count() == CLUSTERS * PER_CLUSTER:
            say("Reusing the CMDB built by an earlier --keep run.")
            ids = list(ConfigurationItem.objects.order_by("id").values_list("id", flat=True))
        else:
            say(f"Building {CLUSTERS * PER_CLUSTER:,} CIs and about 300,000 relationships…")
            ids = build(time.monotonic() + args.max_build_seconds)
        build_seconds = time.monotonic() - started
        cis, rels = ConfigurationItem.objects.count(), Relationship.objects.count()

        # The core switch of a cluster in the middle: the impact of losing it.
        start_id = ids[50 * PER_CLUSTER + CORE_SWITCH]
        first = ci_impacted_services(ci=start_id, max_depth=args.max_depth)
        for _ in range(10):
            ci_impacted_services(ci=start_id, max_depth=args.max_depth)
        samples = []
        for _ in range(args.runs):
            began = time.perf_counter()
            ci_impacted_services(ci=start_id, max_depth=args.max_depth)
            samples.append((time.perf_counter() - began) * 1000)
        service_id = ids[50 * PER_CLUSTER]
        deps = ci_dependencies(ci=service_id, max_depth=args.max_depth)
        dep_samples = []
        for _ in range(args.runs):
            began = time.perf_counter()
            ci_dependencies(ci=service_id, max_depth=args.max_depth)
            dep_samples.append((time.perf_counter() - began) * 1000)

        print(f"backend                {backend}")
        print(f"CMDB                   {cis:,} CIs, {rels:,} relationships")
        print(
            f"build                  {build_seconds:.1f} s (bulk inserts, ANALYZE; reused if kept)"
        )
        print(
            f"impact of              {first.start.name}: reaches {first.reached_count:,} CIs, "
            f"{len(first.items)} business services, deepest path "
            f"{max(i.depth for i in first.items)} hops"
        )
        print(
            f"impact latency         p50 {statistics.median(samples):.1f} ms, "
            f"p95 {percentile(samples, 0.95):.1f} ms, max {max(samples):.1f} ms "
            f"({args.runs} runs, max_depth {args.max_depth})"
        )
        print(
            f"dependencies latency   p50 {statistics.median(dep_samples):.1f} ms, "
            f"p95 {percentile(dep_samples, 0.95):.1f} ms "
            f"(a business service reaching {deps.reached_count:,} CIs)"
        )
        goal = "met" if percentile(samples, 0.95) < 50 else "NOT met"
        print(f"goal p95 < 50 ms       {goal}")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
