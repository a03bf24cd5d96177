"""Server time and SQL queries of the portal's pages at 100, 1,000 and 10,000 fiches (`make bench`).

For each engine (SQLite in a temporary file, PostgreSQL in its own `contrat_bench` database,
dropped and recreated), a child process migrates, generates the fiches with `generate_demo`'s
generator (100, then 900 and 9,000 more), and requests each page through Django's test
Client: a few warm-up requests, then up to REPEAT timed ones (median and 95th percentile),
and one more under CaptureQueriesContext for the number of SQL queries. The tables go to
docs/benchmarks.md between the `bench_pages` markers.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchdoc import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contrat.settings.test")

START, END = "<!-- bench_pages:start -->", "<!-- bench_pages:end -->"
SIZES = [100, 1_000, 10_000]
REPEAT = 30
WARMUP = 3
TIME_BUDGET_SECONDS = 20  # per page and size: a slow page gets fewer (at least 5) requests
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DATABASE = "contrat_bench"
LIST_FACTOR_TARGET = 1.5
P95_TARGET_MS = 200

# (key, label, public?) in the order of the table.
PAGES = [
    ("home", "Accueil `/`", True),
    ("list", "Liste `/actions/`", True),
    ("list_search", "Liste, recherche `?q=jardins partagés`", True),
    ("list_filter", "Liste filtrée (structure, budget ≥ 10 000 €, tri par budget)", True),
    ("list_page", "Liste, dernière page", True),
    ("detail", "Fiche (avec sous-actions)", True),
    ("detail_suivi", "Fiche avec son suivi (points, indicateurs et leurs valeurs, étapes)", True),
    ("structure", "Structure la plus citée", True),
    ("structures", "Liste des structures `/structures/`", True),
    ("enjeu", "Enjeu le plus cité `/enjeux/<n>/`", True),
    ("financements", "Plan de financement `/financements/`", True),
    ("financeur", "Structure qui finance le plus de lignes `/structures/<slug>/`", True),
    ("admin", "Administration : liste des fiches", False),
]


# --------------------------------------------------------------------------- child process


def setup_django():
    import django

    django.setup()


def urls() -> dict[str, str]:
    """The URL of each page for the data in the database (its worst cases where it matters)."""
    from django.db.models import Count

    from actions.models import FicheAction
    from enjeux.models import Enjeu
    from structures.models import Structure

    financeur = (
        Structure.objects.annotate(n=Count("lignes_financement")).order_by("-n", "nom").first()
    )
    busiest = Structure.objects.annotate(n=Count("participations")).order_by("-n", "nom").first()
    enjeu = Enjeu.objects.annotate(n=Count("orientations__fiches")).order_by("-n", "numero").first()
    fiche = (
        FicheAction.objects.annotate(n=Count("sous_actions"))
        .filter(n__gt=0)
        .order_by("ordre")
        .first()
    )
    # The fullest follow-up: notes, indicators measured, milestones (its four queries run).
    suivie = (
        FicheAction.objects.filter(indicateurs__valeurs__isnull=False)
        .annotate(n=Count("points_avancement", distinct=True) + Count("etapes", distinct=True))
        .filter(n__gt=1)
        .order_by("-n", "ordre")
        .first()
    )
    pages = FicheAction.objects.published().count() // 20 + 1
    return {
        "home": "/",
        "list": "/actions/",
        "list_search": "/actions/?q=jardins+partag%C3%A9s",
        "list_filter": f"/actions/?structure={busiest.slug}&budget_min=10000&sort=-budget",
        "list_page": f"/actions/?page={pages}",
        "detail": fiche.get_absolute_url(),
        "detail_suivi": suivie.get_absolute_url(),
        "structure": busiest.get_absolute_url(),
        "structures": "/structures/",
        "enjeu": enjeu.get_absolute_url(),
        "financements": "/financements/",
        "financeur": financeur.get_absolute_url(),
        "admin": "/admin/actions/ficheaction/",
    }


def measure(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    started = time.perf_counter()
    while len(times) < REPEAT and (
        len(times) < 5 or time.perf_counter() - started < TIME_BUDGET_SECONDS
    ):
        begin = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - begin) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        "queries": len(queries),
        "requests": len(times),
        "bytes": len(response.content),
    }


def run_engine(sizes: list[int]) -> dict:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from actions.demo import demo_generate
    from actions.models import FicheAction
    from structures.models import Structure

    call_command("migrate", verbosity=0)
    if connection.vendor == "sqlite":
        database = "SQLite " + ".".join(map(str, connection.Database.sqlite_version_info))
    else:
        database = f"PostgreSQL {connection.pg_version // 10000}"
    admin = get_user_model().objects.create_superuser("bench", password="bench-bench-bench")
    results = {"database": database, "sizes": {}}
    for size in sizes:
        started = time.perf_counter()
        demo_generate(fiches=size - FicheAction.objects.count(), seed=size)
        generated = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # what autovacuum does soon after a bulk load
                cursor.execute("ANALYZE")
        public, staff = Client(), Client()
        staff.force_login(admin)
        page_urls = urls()
        measured = {}
        for key, _label, is_public in PAGES:
            measured[key] = measure(public if is_public else staff, page_urls[key])
            measured[key]["url"] = page_urls[key]
            print(f"{database} {size} {key}: {measured[key]}", file=sys.stderr, flush=True)
        busiest = Structure.objects.get(slug=page_urls["structure"].strip("/").split("/")[-1])
        results["sizes"][str(size)] = {
            "pages": measured,
            "generation_seconds": round(generated, 1),
            "structure_fiches": busiest.participations.values("fiche").distinct().count(),
            "structures": Structure.objects.count(),
        }
    return results


# --------------------------------------------------------------------------- parent process


def pg_recreate(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def child(engine: str, sizes: list[int]) -> dict:
    env = dict(os.environ)
    folder = None
    if engine == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-pages-")
        env["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    else:
        pg_recreate(PG_DATABASE)
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    try:
        output = subprocess.run(
            [sys.executable, __file__, "--child", "--sizes", ",".join(map(str, sizes))],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    return json.loads(output.strip().splitlines()[-1])


def fmt(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def verdicts(results: dict) -> list[str]:
    lines = []
    for engine, data in results.items():
        sizes = data["sizes"]
        if "100" in sizes and "10000" in sizes:
            small = sizes["100"]["pages"]["list"]["median_ms"]
            large = sizes["10000"]["pages"]["list"]["median_ms"]
            ratio = large / small
            ok = "tenue" if ratio <= LIST_FACTOR_TARGET else "**manquée**"
            lines.append(
                f"- {data['database']} : liste à 10 000 fiches = ×{ratio:.2f} son temps à 100 "
                f"({large:.0f} ms contre {small:.0f} ms en médiane) ; cible ≤ ×"
                f"{LIST_FACTOR_TARGET} : {ok}."
            )
        if engine == "postgresql" and "10000" in sizes:
            slow = [
                f"{label} ({sizes['10000']['pages'][key]['p95_ms']:.0f} ms)"
                for key, label, public in PAGES
                if public and sizes["10000"]["pages"][key]["p95_ms"] >= P95_TARGET_MS
            ]
            if slow:
                lines.append(
                    f"- {data['database']}, 10 000 fiches, p95 < {P95_TARGET_MS} ms pour les pages"
                    " publiques : **manquée** pour " + ", ".join(slow) + "."
                )
            else:
                lines.append(
                    f"- {data['database']}, 10 000 fiches : p95 < {P95_TARGET_MS} ms pour toutes"
                    " les pages publiques : tenue."
                )
    return lines


def write_doc(results: dict, sizes: list[int]) -> str:
    from bench_exports import machine  # same folder: this script's directory is on sys.path
    from django.utils import timezone

    setup_django()
    import django

    lines = [
        START,
        "## Pages (`make bench`, scripts/bench_pages.py)",
        "",
        f"Mesuré le {timezone.localtime():%d/%m/%Y à %H:%M} sur : {machine()}.",
        f"Python {sys.version.split()[0]}, Django {django.get_version()} ; "
        + ", ".join(data["database"] for data in results.values())
        + ".",
        "Données : `generate_demo` (graines 100, 1000, 10000), toutes publiées : 100, puis"
        " 1 000, puis 10 000 fiches, avec structures, rôles, orientations, lignes de budget,"
        " sous-actions et suivi (points d'avancement, indicateurs, étapes ; l'accueil et les"
        " enjeux en font le bilan). Chaque page : "
        f"{WARMUP} requêtes d'échauffement, puis jusqu'à {REPEAT} requêtes chronométrées par"
        " le Client de test de Django (temps serveur : vue, gabarit, requêtes SQL ; ni réseau"
        " ni navigateur), réglages `contrat.settings.test` (DEBUG désactivé). Cellule :"
        " **médiane** / p95 en ms (requêtes SQL). Sous PostgreSQL, `ANALYZE` après chaque"
        " chargement, comme le ferait l'autovacuum.",
        "",
    ]
    for data in results.values():
        header = " | ".join(f"{fmt(size)} fiches" for size in sizes)
        lines += [f"### {data['database']}", "", f"| page | {header} |"]
        lines.append("|---|" + "---:|" * len(sizes))
        for key, label, _public in PAGES:
            cells = []
            for size in sizes:
                page = data["sizes"][str(size)]["pages"][key]
                cells.append(
                    f"**{page['median_ms']:.0f}** / {page['p95_ms']:.0f} ({page['queries']})"
                )
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        notes = [
            f"{fmt(size)} fiches : {data['sizes'][str(size)]['structures']} structures, la plus"
            f" citée dans {data['sizes'][str(size)]['structure_fiches']} fiches"
            for size in sizes
        ]
        lines += ["", "Structures : " + " ; ".join(notes) + ".", ""]
    lines += ["### Cibles", "", *verdicts(results), "", END]
    section = "\n".join(lines)
    write_section(section, START, END)
    return section


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--no-doc", action="store_true", help="print, do not write the doc")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.child:
        print(json.dumps(run_engine(sizes)))
        return
    results = {engine: child(engine, sizes) for engine in args.engines.split(",")}
    raw = ROOT / "artifacts" / "bench_pages.json"
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if args.no_doc:
        print(json.dumps(results, indent=2))
    else:
        print(write_doc(results, sizes))


if __name__ == "__main__":
    main()
