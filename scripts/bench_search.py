"""Server time and SQL queries of the fiches' search at 10,000 generated fiches, on one engine.

    DATABASE_URL=sqlite:////tmp/s.sqlite3 python scripts/bench_search.py [--fiches 10000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_search python scripts/bench_search.py

The database must be empty and will be filled: migrate, generate_demo's generator (timed: it
writes the search index too), then each query of QUERIES through the list page
`/actions/?q=…` (median of a few requests after a warm-up, SQL queries counted), beside the
page of one fiche for the ratio. Prints a JSON line; docs/benchmarks.md holds the figures.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contrat.settings.test")

QUERIES = ["jardins partagés", "energies", "a", "lu", "de", '"jardins partagés"', "zzz"]
REPEAT = 7


def timed(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200
    times = []
    for _ in range(REPEAT):
        begin = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - begin) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {"median_ms": round(statistics.median(times), 1), "queries": len(queries)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fiches", type=int, default=10_000)
    parser.add_argument(
        "--existing", action="store_true", help="Measure the database as it is (no generation)."
    )
    args = parser.parse_args()

    import django

    django.setup()
    from urllib.parse import urlencode

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from actions.demo import demo_generate
    from actions.models import FicheAction

    generated = 0.0
    if not args.existing:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        demo_generate(fiches=args.fiches, seed=args.fiches)
        generated = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    fiche = FicheAction.objects.order_by("ordre").first()
    results = {
        "engine": connection.vendor,
        "fiches": FicheAction.objects.count(),
        "generation_seconds": round(generated, 1),
        "detail": timed(client, fiche.get_absolute_url()),
        "search": {},
    }
    for query in QUERIES:
        measured = timed(client, "/actions/?" + urlencode({"q": query}))
        measured["ratio"] = round(measured["median_ms"] / results["detail"]["median_ms"], 1)
        results["search"][query] = measured
        print(query, measured, file=sys.stderr, flush=True)
    try:
        from actions.search import search_index_rebuild
    except ImportError:
        pass
    else:
        if args.existing:
            print(json.dumps(results, ensure_ascii=False))
            return
        started = time.perf_counter()
        search_index_rebuild()
        results["rebuild_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
