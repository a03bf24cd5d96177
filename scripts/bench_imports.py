"""Benchmark of the admin's fiche import, preview then confirm, at a few sizes: the figures
behind IMPORT_MAX_ROWS (contrat/spreadsheets.py), written to docs/benchmarks.md.

Builds a throwaway database (SQLite file in a temporary folder, or a database of its own on
DATABASE_URL's server), loads the 29 seed fiches and generates fiches like bench_exports.py's,
then, for each size, in a process of its own (its peak memory is its own), posts through the
admin with Django's test Client what a user would: a CSV export of `size` fiches, edited, as
an update of them; and the same rows under new slugs, as new fiches. The preview and the
confirm are timed apart (each is one HTTP request: each must end well inside gunicorn's
120 s timeout). The confirm is rolled back afterwards, so that every case starts alike.
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_exports import fiches, generate, machine, setup_django, versions
from benchdoc import measured_at, write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contrat.settings.test")

# One block per database engine, each rewritten by its own run.
MARKERS = "<!-- bench_imports:{}:start -->", "<!-- bench_imports:{}:end -->"
SIZES = (500, 1000, 2000)
KINDS = {
    "update": "mise à jour de fiches existantes",
    "new": "création de fiches",
    "unchanged": "export de l'administration réimporté tel quel",
}
DB_NAME = "bench_imports_helper_a"
TIMEOUT = 120  # gunicorn's --timeout, in the README


def build_database(count: int) -> dict:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    env = {}
    if connection.vendor == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-imports-")
        env.update(DATABASE_URL=f"sqlite:///{folder}/bench.sqlite3", BENCH_FOLDER=folder)
        connection.close()
        connection.settings_dict["NAME"] = f"{folder}/bench.sqlite3"
        call_command("migrate", verbosity=0)
        version = ".".join(map(str, connection.Database.sqlite_version_info))
        env["BENCH_DATABASE"] = f"SQLite {version}"
    else:
        connection.settings_dict["TEST"]["NAME"] = DB_NAME
        env["BENCH_DB_NAME"] = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        env["BENCH_DATABASE"] = f"{connection.display_name} {connection.pg_version // 10000}"
    call_command("loaddata", "recap", verbosity=0)
    generate(count)
    return env


def destroy_database() -> None:
    setup_django()
    from django.db import connection

    original = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = os.environ["BENCH_DB_NAME"]
    connection.settings_dict["TEST"]["NAME"] = DB_NAME
    connection.creation.destroy_test_db(original, verbosity=0)


def import_file(kind: str, size: int) -> bytes:
    """The CSV export of `size` generated fiches, every title edited; under new slugs for
    `new`."""
    from actions.exports import build_actions_csv

    text = build_actions_csv(fiches(0, size)).decode("utf-8")
    text = text.replace(";Fiche générée ", ";Fiche importée ")
    if kind == "new":
        text = text.replace("fiche-generee-", "fiche-importee-")
    return text.encode("utf-8")


def admin_export(client, size: int) -> bytes:
    """The admin's own CSV export of `size` generated fiches, every column: what a user
    downloads and sends back unchanged."""
    from django.conf import settings
    from django.urls import reverse

    from actions.resources import FicheActionResource

    pks = list(fiches(0, size).values_list("pk", flat=True))
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = None  # a changelist selection of `size` fiches
    selected = {
        f"ficheactionresource_{name}": "on" for name in FicheActionResource().get_export_order()
    }
    response = client.post(
        reverse("admin:actions_ficheaction_export"),
        {"resource": "0", "format": "0", "export_items": pks, **selected},
    )
    assert response.status_code == 200, response.content[:2000]
    return response.content


def run_case(kind: str, size: int) -> dict:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse

    from actions.models import FicheAction
    from contrat import spreadsheets

    # Sizes past the limit are measured too: they show where it must stand.
    spreadsheets.IMPORT_MAX_ROWS = max(spreadsheets.IMPORT_MAX_ROWS, size)
    spreadsheets.IMPORT_MAX_CELLS = (size + 1) * spreadsheets.IMPORT_MAX_COLUMNS
    if os.environ.get("BENCH_DB_NAME"):
        connection.settings_dict["NAME"] = os.environ["BENCH_DB_NAME"]
    before = FicheAction.objects.count()
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    data = admin_export(client, size) if kind == "unchanged" else import_file(kind, size)
    client.get(reverse("admin:actions_ficheaction_import"))  # code and templates loaded

    started, cpu_started = time.perf_counter(), time.process_time()
    preview = client.post(
        reverse("admin:actions_ficheaction_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("f.csv", data)},
    )
    preview_seconds = time.perf_counter() - started
    preview_cpu = time.process_time() - cpu_started
    # The confirmation form's hidden fields, as the browser would post them back.
    page = preview.content.decode()
    confirm = page[page.index('action="' + reverse("admin:actions_ficheaction_process_import")) :]
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', confirm))
    assert preview.status_code == 200 and "import_file_name" in fields, page[:3000]
    versions_before = FicheAction.history.count()
    with transaction.atomic():
        started, cpu_started = time.perf_counter(), time.process_time()
        done = client.post(reverse("admin:actions_ficheaction_process_import"), fields)
        confirm_seconds = time.perf_counter() - started
        confirm_cpu = time.process_time() - cpu_started
        assert done.status_code == 302, done.content[:2000]
        expected = before + (size if kind == "new" else 0)
        assert FicheAction.objects.count() == expected
        if kind == "update":
            assert FicheAction.objects.filter(titre__startswith="Fiche importée ").count() == size
        written = FicheAction.history.count() - versions_before
        transaction.set_rollback(True)
    return {
        "preview": round(preview_seconds, 2),
        "confirm": round(confirm_seconds, 2),
        "preview_cpu": round(preview_cpu, 2),
        "confirm_cpu": round(confirm_cpu, 2),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "bytes": len(data),
        "written": written,
    }


def write_doc(results: dict, env: dict, limit: int) -> str:
    engine = env["BENCH_DATABASE"].split()[0]
    start, end = (marker.format(engine.lower()) for marker in MARKERS)
    lines = [
        start,
        f"## Import de fiches par l'administration, {engine} (scripts/bench_imports.py)",
        "",
        f"Mesuré le {measured_at()} sur : {machine()}.",
        f"{versions()} ; base {env['BENCH_DATABASE']}. Charge moyenne de la machine (1 min) : "
        f"{env['BENCH_LOAD_BEFORE']} au début, {env['BENCH_LOAD_AFTER']} à la fin.",
        "Chaque cas, dans son propre processus : l'export CSV de fiches générées (toutes les "
        "colonnes, titres modifiés ; ou l'export de l'administration tel quel), envoyé au "
        "formulaire d'import de l'administration par le "
        "Client de test de Django (aperçu : lecture, import à blanc, page des différences), "
        "puis confirmé (import, historique). Deux requêtes HTTP : chacune doit finir bien avant "
        f"le délai de gunicorn ({TIMEOUT} s). « Mémoire » : pic de mémoire résidente du "
        "processus (ru_maxrss), Django compris ; « CPU » : le temps de calcul du processus, "
        "base SQLite comprise (pas celui d'un serveur PostgreSQL), sans l'attente d'autres "
        "processus de la machine.",
        "",
        "| lignes | fichier | aperçu | aperçu, CPU | confirmation | confirmation, CPU | mémoire "
        "| versions écrites |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (kind, size), r in results.items():
        rows = f"{size:,}".replace(",", " ")
        lines.append(
            f"| {rows} | {KINDS[kind]} ({r['bytes'] / 2**20:.1f} Mio) "
            f"| {r['preview']:.1f} s | {r['preview_cpu']:.1f} s "
            f"| {r['confirm']:.1f} s | {r['confirm_cpu']:.1f} s | {r['rss_peak_mb']} Mo "
            f"| {r['written']} |"
        )
    lines += [
        "",
        "Les tailles au-delà de la limite sont mesurées en la levant le temps de la mesure.",
        f"Limite retenue : **{limit:,} lignes** par import (`IMPORT_MAX_ROWS`).".replace(",", " "),
        "",
        end,
    ]
    section = "\n".join(lines)
    write_section(section, start, end)
    return section


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one measurement, in a child process
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--no-doc", action="store_true", help="print, do not write the doc")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.case == "build":
        print(json.dumps(build_database(max(sizes))))
        return
    if args.case == "destroy":
        destroy_database()
        return
    if args.case:
        kind, size = args.case.split("_")
        print(json.dumps(run_case(kind, int(size))))
        return

    def child(name, env):
        output = subprocess.run(
            [sys.executable, __file__, "--case", name, "--sizes", args.sizes],
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        return json.loads(output.strip().splitlines()[-1]) if output.strip() else None

    env = child("build", {})
    env["BENCH_LOAD_BEFORE"] = f"{os.getloadavg()[0]:.1f}"
    results = {}
    try:
        for size in sizes:
            for kind in args.kinds.split(","):
                results[kind, size] = child(f"{kind}_{size}", env)
                print(f"{size} lignes, {KINDS[kind]} : {results[kind, size]}", flush=True)
    finally:
        if env.get("BENCH_DB_NAME"):
            child("destroy", env)
        if env.get("BENCH_FOLDER"):
            shutil.rmtree(env["BENCH_FOLDER"], ignore_errors=True)
    env["BENCH_LOAD_AFTER"] = f"{os.getloadavg()[0]:.1f}"
    setup_django()
    from contrat.spreadsheets import IMPORT_MAX_ROWS

    if not args.no_doc:
        print(write_doc(results, env, IMPORT_MAX_ROWS))


if __name__ == "__main__":
    main()
