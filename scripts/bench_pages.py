"""Server time and SQL queries of the portal's pages at 100 and 10,000 fiches (`make bench`).

For each engine (SQLite in a temporary file, PostgreSQL in its own `contrat_bench` database,
dropped and recreated; `--keep` reuses both, adding only the missing fiches), a child process
migrates, generates the fiches with `generate_demo`'s generator (100, then 9,900 more) and a
committee snapshot, and requests each page through Django's test Client with the production's
caches (contrat/settings/bench.py): a few warm-up requests, then up to REPEAT timed ones (median
and 95th percentile), one more under CaptureQueriesContext for the number of SQL queries, and
one right after a new data version (what the first visitor after a write waits: every cached
figure computed again). Then, once per size, a new data version, the background worker's run
(`db_worker`, which computes the slow pages' figures: contrat/precompute.py) and the first
request of each page after it. Each page's median is compared with a single fiche's page's (the
target: within TARGET_RATIO times). Both engines side by side go to docs/benchmarks.md between
the `bench_pages` markers.
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

from benchdoc import measured_at, write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contrat.settings.bench")

START, END = "<!-- bench_pages:start -->", "<!-- bench_pages:end -->"
SIZES = [100, 10_000]
REPEAT = 30
WARMUP = 3
TIME_BUDGET_SECONDS = 20  # per page and size: a slow page gets fewer (at least 5) requests
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "contrat_bench")
SQLITE_FILE = os.environ.get("BENCH_SQLITE_FILE", str(ROOT / "artifacts" / "bench_pages.sqlite3"))
TARGET_RATIO = 4  # a public page's median within 4 times a fiche's page's
REFERENCE = "detail"

# (key, label, public?) in the order of the table.
PAGES = [
    ("home", "Accueil `/`", True),
    ("list", "Liste `/actions/`", True),
    ("search_1", "Recherche d'une lettre `?q=a`", True),
    ("search_2", "Recherche de deux lettres `?q=du`", True),
    ("search_word", "Recherche `?q=ludothèques`", True),
    ("list_search", "Recherche `?q=jardins partagés`", True),
    ("list_filter", "Liste filtrée (structure, budget ≥ 10 000 €, tri par budget)", True),
    ("list_page", "Liste, dernière page", True),
    ("detail", "Fiche (avec sous-actions) : la référence", True),
    ("detail_suivi", "Fiche avec son suivi (points, indicateurs et leurs valeurs, étapes)", True),
    ("structure", "Structure la plus citée", True),
    ("structures", "Liste des structures `/structures/`", True),
    ("structures_search", "Structures, recherche `?q=centre social`", True),
    ("enjeux", "Enjeux `/enjeux/`", True),
    ("enjeu", "Enjeu le plus cité `/enjeux/<n>/`", True),
    ("financements", "Plan de financement `/financements/`", True),
    ("financeur", "Structure qui finance le plus de lignes `/structures/<slug>/`", True),
    ("comites", "Comités `/comites/`", True),
    ("instantane", "Récapitulatif arrêté `/comites/<slug>/`", True),
    ("ecarts", "Écarts avec aujourd'hui `/comites/<slug>/ecarts/`", True),
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
    from comites.models import Instantane
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
    instantane = Instantane.objects.listed().order_by("-arrete_le").first()
    return {
        "home": "/",
        "list": "/actions/",
        "search_1": "/actions/?q=a",
        "search_2": "/actions/?q=du",
        "search_word": "/actions/?q=ludoth%C3%A8ques",
        "list_search": "/actions/?q=jardins+partag%C3%A9s",
        "list_filter": f"/actions/?structure={busiest.slug}&budget_min=10000&sort=-budget",
        "list_page": f"/actions/?page={pages}",
        "detail": fiche.get_absolute_url(),
        "detail_suivi": suivie.get_absolute_url(),
        "structure": busiest.get_absolute_url(),
        "structures": "/structures/",
        "structures_search": "/structures/?q=centre+social",
        "enjeux": "/enjeux/",
        "enjeu": enjeu.get_absolute_url(),
        "financements": "/financements/",
        "financeur": financeur.get_absolute_url(),
        "comites": "/comites/",
        "instantane": instantane.get_absolute_url(),
        "ecarts": instantane.get_absolute_url() + "ecarts/",
        "admin": "/admin/actions/ficheaction/",
    }


def measure(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from contrat.dataversion import data_version_bump

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
    # The first request after a write: every figure of the page computed again.
    data_version_bump()
    begin = time.perf_counter()
    with CaptureQueriesContext(connection) as cold_queries:
        client.get(url)
    cold_ms = (time.perf_counter() - begin) * 1000
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        "queries": len(queries),
        "cold_ms": round(cold_ms, 1),
        "cold_queries": len(cold_queries),
        "requests": len(times),
        "bytes": len(response.content),
    }


def after_worker(clients: dict, page_urls: dict) -> tuple[float, dict]:
    """A write, then the background worker until its queue is empty (seconds), then the first
    request of each page: what a visitor waits once the worker has run."""
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    from contrat import precompute
    from contrat.dataversion import data_version_bump

    # The tasks queued by the writes of `measure` (no worker ran): gone, so that one runs.
    DBTaskResult.objects.filter(task_path=precompute.precompute_figures.module_path).delete()
    cache.delete(precompute.PENDING)
    data_version_bump()
    begin = time.perf_counter()
    call_command(
        "db_worker", queue_name="*", batch=True, startup_delay=False, reload=False, verbosity=0
    )
    worker_seconds = time.perf_counter() - begin
    first = {}
    for key, _label, is_public in PAGES:
        begin = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            clients[is_public].get(page_urls[key])
        first[key] = {
            "worker_ms": round((time.perf_counter() - begin) * 1000, 1),
            "worker_queries": len(queries),
        }
    return round(worker_seconds, 1), first


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
    admin = get_user_model().objects.filter(username="bench").first()
    if admin is None:
        admin = get_user_model().objects.create_superuser("bench", password="bench-bench-bench")
    results = {"database": database, "sizes": {}}
    for size in sizes:
        started = time.perf_counter()
        missing = size - FicheAction.objects.count()
        if missing > 0:
            demo_generate(fiches=missing, seed=size)
        generated = time.perf_counter() - started
        snapshot(size)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # what autovacuum does soon after a bulk load
                cursor.execute("VACUUM ANALYZE")
        public, staff = Client(), Client()
        staff.force_login(admin)
        page_urls = urls()
        measured = {}
        for key, _label, is_public in PAGES:
            measured[key] = measure(public if is_public else staff, page_urls[key])
            measured[key]["url"] = page_urls[key]
            print(f"{database} {size} {key}: {measured[key]}", file=sys.stderr, flush=True)
        worker_seconds, first = after_worker({True: public, False: staff}, page_urls)
        for key, values in first.items():
            measured[key].update(values)
        print(f"{database} {size} worker: {worker_seconds} s", file=sys.stderr, flush=True)
        busiest = Structure.objects.get(slug=page_urls["structure"].strip("/").split("/")[-1])
        results["sizes"][str(size)] = {
            "pages": measured,
            "worker_seconds": worker_seconds,
            "generation_seconds": round(generated, 1),
            "structure_fiches": busiest.participations.values("fiche").distinct().count(),
            "structures": Structure.objects.count(),
        }
    return results


def snapshot(size: int) -> None:
    """A committee's snapshot of today's published recap, its JSON built by the service's own
    function; its PDF and XLSX left empty (the recap PDF of 10,000 fiches takes 25 minutes, and
    the pages never read the files)."""
    from django.utils import timezone

    from comites.models import Instantane
    from comites.services import published_fiches
    from comites.snapshot import decimal_or_none, snapshot_data
    from contrat.current import current_contrat

    slug = f"banc-{size}"
    if Instantane.objects.filter(slug=slug).exists():
        return
    contrat = current_contrat()
    donnees = snapshot_data(published_fiches(contrat))
    Instantane.objects.create(
        contrat=contrat,
        nom=f"Banc d'essai {size}",
        slug=slug,
        date=timezone.localdate(),
        arrete_le=timezone.now(),
        nombre_fiches=donnees["totaux"]["nombre"],
        budget_total=decimal_or_none(donnees["totaux"]["budget"]),
        donnees=donnees,
        recap_pdf=b"",
        recap_xlsx=b"",
    )


# --------------------------------------------------------------------------- parent process


def pg_recreate(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def child(engine: str, sizes: list[int], keep: bool) -> dict:
    env = dict(os.environ)
    folder = None
    if engine == "sqlite" and keep:
        Path(SQLITE_FILE).parent.mkdir(parents=True, exist_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"
    elif engine == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-pages-")
        env["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    else:
        if not keep:
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


def pg_ensure(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def fmt(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def ratio_cell(pages: dict, key: str, public: bool) -> str:
    ratio = pages[key]["median_ms"] / pages[REFERENCE]["median_ms"]
    if not public:
        return f"×{ratio:.1f}"
    return f"×{ratio:.1f} {'✔' if ratio <= TARGET_RATIO else '✘'}"


def table(results: dict, sizes: list[int]) -> list[str]:
    """Page × engine at the largest size: median, ratio to a fiche's page, queries (at each
    size: constant), the first request after a write, and after a write and the worker."""
    largest = str(sizes[-1])
    engines = list(results.values())
    header = "| page |"
    rule = "|---|"
    for data in engines:
        name = data["database"].split()[0]
        header += f" {name} médiane | ×fiche | requêtes | après écriture | et le worker |"
        rule += "---:|---:|---:|---:|---:|"
    lines = [header, rule]
    for key, label, public in PAGES:
        row = f"| {label} |"
        for data in engines:
            pages = data["sizes"][largest]["pages"]
            page = pages[key]
            queries = " / ".join(str(data["sizes"][str(s)]["pages"][key]["queries"]) for s in sizes)
            row += (
                f" **{page['median_ms']:.0f}** ms | {ratio_cell(pages, key, public)} |"
                f" {queries} | {page['cold_ms']:.0f} ms ({page['cold_queries']}) |"
                f" {page['worker_ms']:.0f} ms ({page['worker_queries']}) |"
            )
        lines.append(row)
    return lines


def verdicts(results: dict, sizes: list[int]) -> list[str]:
    largest = str(sizes[-1])
    lines = []
    for data in results.values():
        pages = data["sizes"][largest]["pages"]
        reference = pages[REFERENCE]["median_ms"]
        slow = [
            f"{label} (×{pages[key]['median_ms'] / reference:.1f})"
            for key, label, public in PAGES
            if public and pages[key]["median_ms"] > TARGET_RATIO * reference
        ]
        grew = [
            label
            for key, label, _public in PAGES
            if len({data["sizes"][str(s)]["pages"][key]["queries"] for s in sizes}) > 1
        ]
        verdict = (
            "**manquée** pour " + ", ".join(slow)
            if slow
            else "tenue pour toutes les pages publiques"
        )
        lines.append(
            f"- {data['database']}, {fmt(sizes[-1])} fiches : fiche seule {reference:.0f} ms en"
            f" médiane ; cible ≤ ×{TARGET_RATIO} : {verdict}."
        )
        lines.append(
            f"- {data['database']} : nombre de requêtes de {fmt(sizes[0])} à {fmt(sizes[-1])}"
            " fiches : "
            + ("le même pour chaque page." if not grew else "**varie** pour " + ", ".join(grew))
        )
    return lines


def write_doc(results: dict, sizes: list[int], loads: tuple[float, float]) -> str:
    from bench_exports import machine  # same folder: this script's directory is on sys.path

    setup_django()
    import django

    lines = [
        START,
        "## Pages (`make bench`, scripts/bench_pages.py)",
        "",
        f"Mesuré le {measured_at()} sur : {machine()}. Charge moyenne"
        f" de la machine (1 min, d'autres sessions comprises) : {loads[0]:.1f} au début,"
        f" {loads[1]:.1f} à la fin.",
        f"Python {sys.version.split()[0]}, Django {django.get_version()} ; "
        + ", ".join(data["database"] for data in results.values())
        + ".",
        "Données : `generate_demo` (graines "
        + ", ".join(str(size) for size in sizes)
        + "), toutes publiées : "
        + ", puis ".join(fmt(size) for size in sizes)
        + " fiches, avec structures, rôles, orientations, lignes de budget, sous-actions, plans"
        " de financement et suivi (points d'avancement, indicateurs, étapes), et un récapitulatif"
        " arrêté du jour (ses données JSON seulement). Chaque page : "
        f"{WARMUP} requêtes d'échauffement, puis jusqu'à {REPEAT} requêtes chronométrées par"
        " le Client de test de Django (temps serveur : vue, gabarit, requêtes SQL ; ni réseau"
        " ni navigateur), réglages `contrat.settings.bench` (ceux des tests, DEBUG désactivé,"
        " avec les caches de la production : tables de la base). « ×fiche » : la médiane"
        " rapportée à celle de la page d'une fiche (cible ≤ ×"
        f"{TARGET_RATIO}, ✔ ou ✘). « requêtes » : requêtes SQL à "
        + " puis ".join(fmt(size) for size in sizes)
        + " fiches, cache chaud (dont la version des données et la lecture du cache). « après"
        " écriture » : la première requête après un changement de la version des données,"
        " chiffres recalculés (requêtes SQL entre parenthèses). « et le worker » : la première"
        " requête après un changement de la version des données puis le passage du processus"
        " de fond (`db_worker`, qui recalcule les chiffres des pages lentes :"
        " `contrat/precompute.py`), sans autre requête entre les deux. Sous PostgreSQL,"
        " `VACUUM ANALYZE` après chaque chargement, comme le ferait l'autovacuum.",
        "",
        f"### {fmt(sizes[-1])} fiches, les deux moteurs côte à côte",
        "",
        *table(results, sizes),
        "",
    ]
    for data in results.values():
        size = data["sizes"][str(sizes[-1])]
        lines.append(
            f"{data['database']} : {size['structures']} structures, la plus citée dans"
            f" {size['structure_fiches']} fiches ; le processus de fond a recalculé les chiffres"
            f" des pages lentes en {size['worker_seconds']:.1f} s après l'écriture."
        )
    lines += ["", "### Cibles", "", *verdicts(results, sizes), "", END]
    section = "\n".join(lines)
    write_section(section, START, END)
    return section


def print_table(results: dict, sizes: list[int]) -> None:
    print("\n".join(table(results, sizes)))
    print("\n".join(verdicts(results, sizes)))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--no-doc", action="store_true", help="print, do not write the doc")
    parser.add_argument(
        "--keep",
        action="store_true",
        help=f"reuse {SQLITE_FILE} and the {PG_DATABASE} database (only the missing fiches"
        " are generated) instead of starting from empty ones",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.child:
        print(json.dumps(run_engine(sizes)))
        return
    if args.keep and "postgresql" in args.engines:
        pg_ensure(PG_DATABASE)
    load_before = os.getloadavg()[0]
    results = {engine: child(engine, sizes, args.keep) for engine in args.engines.split(",")}
    loads = (load_before, os.getloadavg()[0])
    raw = ROOT / "artifacts" / "bench_pages.json"
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print_table(results, sizes)
    if not args.no_doc:
        write_doc(results, sizes, loads)


if __name__ == "__main__":
    main()
