"""Helpers every benchmark shares: a throwaway database, Django set-up, the machine's
description, percentiles, and the final JSON line.

A benchmark never writes to the database DATABASE_URL names: it creates a
database of its own beside it on the same server (a temporary file for SQLite),
migrates it, and drops it at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _pg_admin_connect(url: str):
    """A connection for CREATE/DROP DATABASE: the server's maintenance database,
    else the one the URL names (only to issue the statement)."""
    import psycopg

    parts = urlsplit(url)
    for dbname in ("postgres", parts.path.lstrip("/")):
        try:
            return psycopg.connect(urlunsplit(parts._replace(path=f"/{dbname}")), autocommit=True)
        except psycopg.OperationalError:
            continue
    raise SystemExit(f"cannot connect to the PostgreSQL server of {parts.hostname}:{parts.port} to create a database")


@contextlib.contextmanager
def throwaway_database(label: str) -> Iterator[str]:
    """Points DATABASE_URL (and MEDIA_ROOT) at a database and a media folder made for
    this run, and removes both afterwards. Call it before `django_setup()`."""
    given = os.environ.get("DATABASE_URL", "")
    media = tempfile.mkdtemp(prefix=f"bench-{label}-media-")
    os.environ["MEDIA_ROOT"] = media
    scheme = urlsplit(given).scheme if given else "sqlite"
    admin = name = None
    workdir = None
    try:
        if scheme.startswith("postgres"):
            parts = urlsplit(given)
            name = f"{parts.path.lstrip('/') or 'helpdesk'}_bench_{label}_{os.getpid()}"[:63]
            admin = _pg_admin_connect(given)
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
            url = urlunsplit(parts._replace(path=f"/{name}"))
        elif scheme == "sqlite":
            workdir = tempfile.mkdtemp(prefix=f"bench-{label}-db-")
            url = f"sqlite:///{workdir}/bench.sqlite3"
        else:
            raise SystemExit(f"unsupported DATABASE_URL scheme {scheme!r}")
        os.environ["DATABASE_URL"] = url
        yield url
    finally:
        if admin is not None:
            _close_django_connections()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
        if workdir:
            _close_django_connections()
            shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)
        if given:
            os.environ["DATABASE_URL"] = given


def _close_django_connections() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def django_setup(*, migrate: bool = True) -> None:
    """Django with the project's settings; migrates the (throwaway) database."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def database_description() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            version = cursor.fetchone()[0]
        else:
            version = ""
    return {"engine": connection.vendor, "version": version}


def machine_description() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def print_machine(db: dict[str, str] | None = None) -> None:
    machine = machine_description()
    print(f"machine:   {machine['cores']} cores, {machine['cpu']}, {machine['memory_gib']} GiB memory")
    print(f"software:  Python {machine['python']} on {machine['os']}")
    if db:
        print(f"database:  {db['engine']} {db['version']}")


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far by groups of processes (by pid), by this process, and by
    the whole machine."""

    groups: dict[str, dict[int, float]]
    own_s: float
    machine_busy_s: float
    machine_total_s: float


def _process_cpu_s(pid: int) -> float:
    # utime and stime, the 14th and 15th fields, after the command name in parentheses.
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's and Celery's workers)."""
    pids = [pid]
    for parent in pids:
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{parent}/task").iterdir():
                pids += [int(child) for child in (task / "children").read_text().split()]
    return pids


def database_backend_pids(url: str) -> list[int]:
    """The PostgreSQL server processes serving the database `url` names (its other
    clients' work is not ours); none for SQLite, which runs inside the servers."""
    if not urlsplit(url).scheme.startswith("postgres"):
        return []
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def cpu_sample(groups: dict[str, Sequence[int]]) -> CpuSample:
    busy = total = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = ticks[3] + ticks[4]  # idle and iowait
        total = sum(ticks[:8]) / os.sysconf("SC_CLK_TCK")
        busy = total - idle / os.sysconf("SC_CLK_TCK")
    return CpuSample(
        groups={name: {pid: _process_cpu_s(pid) for pid in pids} for name, pids in groups.items()},
        own_s=time.process_time(),
        machine_busy_s=busy,
        machine_total_s=total,
    )


def cpu_shares(start: CpuSample, end: CpuSample, *, wall_s: float) -> dict[str, float]:
    """Between two samples, in cores used on average: each group of processes (a
    process that appeared in between counts from its start; one that ended is missed),
    this process ("client"), and the rest of the machine ("other": Redis, and whoever
    else shares the machine)."""
    wall_s = wall_s or 1.0
    shares = {}
    for name, pids in end.groups.items():
        before = start.groups.get(name, {})
        shares[f"{name}_cores"] = sum(used - before.get(pid, 0.0) for pid, used in pids.items()) / wall_s
    shares["client_cores"] = (end.own_s - start.own_s) / wall_s
    machine = (end.machine_busy_s - start.machine_busy_s) / wall_s
    shares["other_cores"] = max(0.0, machine - sum(shares.values()))
    shares = {name: round(value, 2) for name, value in shares.items()}
    machine_s = end.machine_total_s - start.machine_total_s
    shares["machine_busy_pct"] = round(100 * (end.machine_busy_s - start.machine_busy_s) / (machine_s or 1), 1)
    return shares


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "?"


def percentiles(values: Sequence[float], points: Sequence[int] = (50, 95, 99)) -> dict[str, float]:
    """Nearest-rank percentiles: {"p50": ..., "p95": ..., "p99": ...}."""
    if not values:
        return {f"p{p}": 0.0 for p in points}
    ordered = sorted(values)
    result = {}
    for point in points:
        rank = max(1, -(-point * len(ordered) // 100))  # ceil(p * n / 100)
        result[f"p{point}"] = ordered[rank - 1]
    return result


def print_result(bench: str, **figures: Any) -> None:
    """The last line a benchmark prints: one JSON object with its figures."""
    sys.stdout.flush()
    print(json.dumps({"bench": bench, **figures}, ensure_ascii=False), flush=True)
