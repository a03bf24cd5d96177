"""Benchmark of the exports and the import (`make bench`): writes the table in docs/benchmarks.md.

Builds a throwaway database (SQLite file in a temporary folder, or the test database of
DATABASE_URL's server), loads the 29 seed fiches and generates 10,000 more with generate_demo's
generator (actions/demo.py, BenchFicheActionFactory), then measures each case in its own
process, so that its peak memory (ru_maxrss) is its own.
"""

import argparse
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchdoc import measured_at, write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contrat.settings.test")

START, END = "<!-- bench_exports:start -->", "<!-- bench_exports:end -->"
GENERATED = 10_000
GENERATED_ORDRE = 1000  # generated fiches come after the seed's in recap order

# (name, what, target in seconds or None, the case it should be linear with)
CASES = [
    ("pdf_seed", "PDF récapitulatif, 29 fiches du tableau", None, None),
    ("pdf_500", "PDF récapitulatif, 500 fiches générées", None, None),
    ("pdf_1000", "PDF récapitulatif, 1 000 fiches générées", 30, "pdf_500"),
    ("xlsx_5000", "Classeur XLSX, 5 000 fiches", None, None),
    ("xlsx_10000", "Classeur XLSX, 10 000 fiches", 5, "xlsx_5000"),
    ("csv_10000", "CSV données ouvertes, 10 000 fiches", None, None),
    ("json_10000", "JSON données ouvertes, 10 000 fiches", None, None),
    ("import_500", "Import CSV de 500 lignes : aperçu (dry run) puis import", None, None),
    ("import_1000", "Import CSV de 1 000 lignes : aperçu (dry run) puis import", 10, "import_500"),
]
MEMORY_TARGET_MB = {"pdf_1000": 1024}


def setup_django():
    import django

    django.setup()


def generate(count: int) -> None:
    """`count` fiches of the export benchmarks' kind (BenchFicheActionFactory in
    actions/factories.py: a porteur and a partner among 60 structures, one or two budget
    lines...), built like generate_demo's (seed 59), from GENERATED_ORDRE on in recap order."""
    from actions.demo import demo_generate
    from actions.factories import BenchFicheActionFactory

    demo_generate(
        fiches=count,
        seed=59,
        structures=60,
        premier_ordre=GENERATED_ORDRE,
        fiche_factory=BenchFicheActionFactory,
    )


def build_database() -> dict:
    """Create and fill the benchmark database; returns the environment the cases run with."""
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    env = {}
    if connection.vendor == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-exports-")
        url = f"sqlite:///{folder}/bench.sqlite3"
        env.update(DATABASE_URL=url, BENCH_FOLDER=folder)
        connection.close()
        connection.settings_dict["NAME"] = f"{folder}/bench.sqlite3"
        call_command("migrate", verbosity=0)
        version = ".".join(map(str, connection.Database.sqlite_version_info))
        env["BENCH_DATABASE"] = f"SQLite {version}"
    else:
        name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        env["BENCH_DB_NAME"] = name
        env["BENCH_DATABASE"] = f"{connection.display_name} {connection.pg_version // 10000}"
    started = time.perf_counter()
    call_command("loaddata", "recap", verbosity=0)
    generate(GENERATED)
    env["BENCH_GENERATION_SECONDS"] = f"{time.perf_counter() - started:.1f}"
    return env


def destroy_database() -> None:
    setup_django()
    from django.db import connection

    original = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = os.environ["BENCH_DB_NAME"]
    connection.creation.destroy_test_db(original, verbosity=0)


def fiches(first: int | None = None, count: int | None = None):
    from actions.models import FicheAction

    queryset = FicheAction.objects.published().for_listing().order_by("ordre", "pk")
    if first is None:
        return queryset.filter(ordre__lt=GENERATED_ORDRE)
    return queryset.filter(ordre__gte=GENERATED_ORDRE + first, ordre__lt=GENERATED_ORDRE + count)


def import_rows(count: int) -> bytes:
    """`count` generated fiches exported as CSV, with new slugs: an import that creates them."""
    from actions.exports import build_actions_csv

    text = build_actions_csv(fiches(0, count)).decode("utf-8")
    return text.replace("fiche-generee-", "fiche-importee-").encode("utf-8")


def run_case(name: str) -> dict:
    setup_django()
    from django.db import connection, transaction

    if os.environ.get("BENCH_DB_NAME"):
        connection.settings_dict["NAME"] = os.environ["BENCH_DB_NAME"]
    # Each case imports only what it uses, so that its peak memory is its own (the PDF case
    # counts WeasyPrint and its C libraries, the others do not).
    kind, _, size = name.partition("_")
    extra = {}
    from actions.models import FicheAction

    FicheAction.objects.count()  # connected, models loaded: the baseline of every case
    if kind == "baseline":
        return {"rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    if kind == "pdf":
        from actions.pdf import build_recap_pdf
    else:
        from actions.exports import stream_actions_csv, stream_actions_json
        from actions.workbook import build_recap_xlsx
    if kind == "import":
        from actions.resources import FicheActionResource
        from contrat.spreadsheets import CSV

        data = import_rows(int(size))  # prepared before the clock starts
    sent = None
    started, cpu_started = time.perf_counter(), time.process_time()
    if kind == "pdf":
        queryset = fiches() if size == "seed" else fiches(0, int(size))
        output = build_recap_pdf(queryset)
    elif kind == "xlsx":
        output = build_recap_xlsx(fiches(0, int(size)))
    elif kind in ("csv", "json"):
        # Streamed and dropped piece by piece, as the portal writes them to a file: the
        # whole file held in memory is not what a download costs.
        stream = stream_actions_csv if kind == "csv" else stream_actions_json
        sent = sum(len(piece) for piece in stream(fiches(0, int(size))))
    elif kind == "import":
        with transaction.atomic():
            dataset = CSV().create_dataset(data)
            preview = FicheActionResource().import_data(dataset, dry_run=True)
            extra["dry_run_seconds"] = round(time.perf_counter() - started, 2)
            result = FicheActionResource().import_data(dataset)
            assert not preview.has_errors() and not preview.has_validation_errors()
            assert result.totals["new"] == int(size), result.totals
            transaction.set_rollback(True)  # leave the database as the other cases expect
        output = data
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if kind == "pdf":
        import pypdf

        extra["pages"] = len(pypdf.PdfReader(io.BytesIO(output)).pages)
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "rss_peak_mb": round(rss_kb / 1024, 1),
        "bytes": len(output) if sent is None else sent,
        **extra,
    }


def versions() -> str:
    import django
    import import_export
    import openpyxl
    import weasyprint

    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"WeasyPrint {weasyprint.__version__}, openpyxl {openpyxl.__version__}, "
        f"django-import-export {import_export.__version__}"
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 2**20:.0f} Gio de mémoire"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cœurs ({cpu}){memory}, {platform.system()} {platform.release()}"


def verdict(name, results) -> str:
    _name, _what, target, linear_with = next(c for c in CASES if c[0] == name)
    notes = []
    seconds, cpu = results[name]["seconds"], results[name]["cpu_seconds"]
    if target is not None:
        if seconds < target:
            notes.append(f"cible < {target} s : tenue")
        elif cpu < target:
            notes.append(
                f"cible < {target} s : tenue en temps de calcul, pas en temps réel "
                "(la machine était occupée par d'autres processus)"
            )
        else:
            notes.append(f"cible < {target} s : **manquée**")
    if name in MEMORY_TARGET_MB:
        ok = results[name]["rss_peak_mb"] < MEMORY_TARGET_MB[name]
        notes.append(f"cible < 1 Go : {'tenue' if ok else '**manquée**'}")
    if linear_with:
        ratio = cpu / max(results[linear_with]["cpu_seconds"], 0.01)
        notes.append(
            f"×2 fiches → ×{ratio:.2f} temps de calcul "
            f"({'linéaire' if ratio <= 2.5 else '**pas linéaire**'})"
        )
    if "dry_run_seconds" in results[name]:
        notes.append(f"dont aperçu {results[name]['dry_run_seconds']} s")
    if results[name].get("pages"):
        notes.append(f"{results[name]['pages']} pages")
    return " ; ".join(notes)


def write_doc(results: dict, env: dict, database: str) -> str:
    lines = [
        START,
        "## Exports et import (`make bench`, scripts/bench_exports.py)",
        "",
        f"Mesuré le {measured_at()} sur : {machine()}.",
        f"{versions()} ; base {database}. Charge moyenne de la machine (1 min) : "
        f"{env.get('BENCH_LOAD_BEFORE', '?')} au début, {env.get('BENCH_LOAD_AFTER', '?')} à la"
        " fin (2 cœurs : au-delà de 2, d'autres processus prenaient du temps de calcul).",
        f"Données : les 29 fiches du tableau, plus {GENERATED:_} fiches générées".replace("_", " ")
        + f" par bulk_create en {env.get('BENCH_GENERATION_SECONDS', '?')} s (le générateur de"
        " `generate_demo`, fiches plus légères : descriptif d'un paragraphe et ses objectifs, un"
        " porteur et un partenaire parmi 60 structures, une ou deux orientations, une ou deux"
        " lignes de budget).",
        "Chaque cas tourne dans son propre processus : « mémoire » est le pic de mémoire"
        " résidente de ce processus (resource.getrusage, ru_maxrss), Django compris, et pour"
        " les PDF WeasyPrint et ses bibliothèques C ; un processus Django qui n'a encore rien"
        f" fait en occupe {env.get('BENCH_BASELINE_MB', '?')} Mo. Le temps est celui du"
        " constructeur seul (requêtes comprises), sans tracemalloc qui le fausserait ; « CPU »"
        " est le temps de calcul de ce processus (sans l'attente d'autres processus de la"
        " machine, ni, sous PostgreSQL, le travail du serveur). Le CSV et le JSON sont lus en"
        " flux et jetés au fur et à mesure, comme le portail les écrit dans un fichier (le"
        " processus à part qui les écrit au-delà de 1 000 fiches : `scripts/bench_stream.py`).",
        "",
        "| cas | temps | CPU | mémoire | taille du fichier | remarques |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, what, _target, _linear in CASES:
        r = results[name]
        lines.append(
            f"| {what} | {r['seconds']:.2f} s | {r['cpu_seconds']:.2f} s | "
            f"{r['rss_peak_mb']:.0f} Mo | {r['bytes'] / 2**20:.1f} Mio | {verdict(name, results)} |"
        )
    lines += ["", END]
    section = "\n".join(lines)
    write_section(section, START, END)
    return section


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one measurement, in a child process
    parser.add_argument("--no-doc", action="store_true", help="print, do not write the doc")
    args = parser.parse_args()
    if args.case == "build":
        print(json.dumps(build_database()))
        return
    if args.case == "destroy":
        destroy_database()
        return
    if args.case:
        print(json.dumps(run_case(args.case)))
        return

    # This process stays small (no Django loaded) while it starts the others: on Linux a
    # child's ru_maxrss starts from its parent's size at fork time.
    def child(name, env):
        output = subprocess.run(
            [sys.executable, __file__, "--case", name],
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.PIPE,  # its errors go to our stderr
            text=True,
        ).stdout
        return json.loads(output.strip().splitlines()[-1]) if output.strip() else None

    env = child("build", {})
    env["BENCH_LOAD_BEFORE"] = f"{os.getloadavg()[0]:.1f}"
    results = {}
    try:
        env["BENCH_BASELINE_MB"] = str(child("baseline", env)["rss_peak_mb"])
        for name, what, _target, _linear in CASES:
            results[name] = child(name, env)
            print(f"{what} : {results[name]}", flush=True)
    finally:
        if env.get("BENCH_DB_NAME"):
            child("destroy", env)
        if env.get("BENCH_FOLDER"):
            shutil.rmtree(env["BENCH_FOLDER"], ignore_errors=True)
    env["BENCH_LOAD_AFTER"] = f"{os.getloadavg()[0]:.1f}"
    setup_django()
    section = write_doc(results, env, env["BENCH_DATABASE"]) if not args.no_doc else ""
    print(section or json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
