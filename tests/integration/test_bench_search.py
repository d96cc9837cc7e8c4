"""`roomcast bench search --quick` runs end to end: it fills a database, prints its fill, index
size, one table of query kinds, the plans and the write path's cost, and the queries find
messages. On SQLite always; on PostgreSQL too when ROOMCAST_TEST_POSTGRES_URL names a server
(the bench creates and drops its own database there). No timing is asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

pytest.importorskip("psutil")

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("common", "rare", "substring", "cjk", "two terms", "room", "page 2")


def _run(*arguments: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "roomcast", "bench", "search", *arguments]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _databases() -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    url = os.environ.get("ROOMCAST_TEST_POSTGRES_URL", "")
    if not url:
        return ["SQLite"], env
    given = make_url(url)
    server = URL.create("postgresql", given.username, given.password, given.host, given.port)
    env["ROOMCAST_BENCH_POSTGRES"] = server.render_as_string(hide_password=False)
    return ["SQLite", "PostgreSQL"], env


def _kind_rows(section: str) -> dict[str, list[str]]:
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("kind "))
    rows = {}
    for line in lines[start + 1 : start + 1 + len(KINDS)]:
        kind = line[:10].strip()
        rows[kind] = line[10:].split()
    return rows


def test_search_bench_quick_prints_every_table_and_finds_messages() -> None:
    names, env = _databases()
    databases = ",".join("sqlite" if name == "SQLite" else "postgres" for name in names)
    done = _run("--quick", "--quiet", "--databases", databases, env=env)
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    for name in names:
        header = f"== search on {name}: 5,000 messages in 200 rooms, 1,000 users each in 20 rooms; pages of 20"
        assert header in output, output
        section = output.split(header, 1)[1].split("== search on", 1)[0]
        assert "fill: 5,000 messages in " in section, section
        assert "index size (" in section and "x the table" in section, section
        rows = _kind_rows(section)
        assert sorted(rows) == sorted(KINDS), section
        for kind, values in rows.items():
            queries, terms = int(values[0]), int(values[1])
            assert terms > 0, section
            # page 2 runs only where a first page said `more`; every other kind 50 times.
            assert queries == 50 or (kind == "page 2" and queries > 0), section
            assert all(value == "-" or float(value) >= 0 for value in values[2:7]), section
        for kind in ("common", "substring", "two terms", "room"):
            assert float(rows[kind][6]) > 0, f"{kind} found nothing:\n{section}"
        assert f"target on {name}: p99 < 50 ms for a selective query (rare words): " in section, section
        assert f"plan on {name}, rare query " in section and f"plan on {name}, common query " in section, section
        assert f"write path on {name}: 1,000 messages per pass, 20 group commits of 50" in section, section
        for index in ("with", "without"):
            assert any(line.split()[:1] == [index] for line in section.splitlines()), section
        assert "the index costs " in section, section
    if names == ["SQLite"]:
        assert "PostgreSQL" not in output, output


def test_search_bench_plans_use_the_index_on_sqlite() -> None:
    done = _run("--quick", "--quiet", "--databases", "sqlite", "--queries", "5", "--write-messages", "100")
    assert done.returncode == 0, done.stdout + done.stderr
    plans = [part.split("\nwrite path", 1)[0] for part in done.stdout.split("plan on SQLite, ")[1:]]
    assert len(plans) == 2, done.stdout
    for plan in plans:
        assert "SCAN messages_fts VIRTUAL TABLE INDEX" in plan, plan
        assert "SCAN messages " not in plan and "TEMP B-TREE" not in plan, plan


def test_search_bench_skips_an_unreachable_postgres() -> None:
    env = {**os.environ, "ROOMCAST_BENCH_POSTGRES": "postgresql://postgres@127.0.0.1:9"}
    done = _run("--quick", "--quiet", "--databases", "postgres", env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "== search on PostgreSQL: skipped: cannot reach postgresql://postgres@127.0.0.1:9" in done.stdout


def test_search_bench_help_and_refusals() -> None:
    done = _run("--help", timeout=60)
    assert done.returncode == 0, done.stderr
    for text in ("--messages", "--quick", "--databases", "ROOMCAST_BENCH_POSTGRES", "p99 < 50 ms", "EXPLAIN"):
        assert text in done.stdout, done.stdout
    done = _run("--databases", "mysql", timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--databases: use sqlite, postgres or both" in done.stderr, done.stderr
