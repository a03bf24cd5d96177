"""Load test of the production setup on loopback (`make load`), written to docs/benchmarks.md.

Recreates the PostgreSQL database `contrat_load` (recap + 10,000 generated fiches; `--keep`
reuses it when it holds them already), runs collectstatic, starts gunicorn with the production
settings on a free 127.0.0.1 port (as the README deploys it) and the background worker of the
long exports and the one of the pages' figures (`manage.py db_worker`, as the README's
systemd units), drives them with locust headless (50 users, 60 s, the visitors of
scripts/locustfile.py: without the exports, then with them), then the burst of issue 15 (200 recap
PDFs from 50 clients while 5 people read fiches, until the 200 are answered, 180 s at most),
stops them, and writes the results: the pages' own percentiles in each scenario (exports and
static files left out), so that what the exports cost the pages shows. Bounded: locust stops
by itself, and everything this script started is stopped at the end, whatever happens.
"""

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchdoc import measured_at, write_section

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "artifacts"
START, END = "<!-- load:start -->", "<!-- load:end -->"
PG_SERVER = os.environ.get("LOAD_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DATABASE = "contrat_load"
FICHES = 10_000
# The 50 visitors; LOAD_USERS tries more, to see how far the target holds.
USERS = int(os.environ.get("LOAD_USERS", 50))
SPAWN_RATE = 10
RUN_TIME = os.environ.get("LOAD_RUN_TIME", "60s")
# The README's gunicorn command: cores + 1 processes (3 on the 2 cores here: one may wait on
# PostgreSQL while the others compute; 2 × cores + 1 for sync workers, but each of ours has
# threads), of 4 threads, so that the pages are not queued behind the streamed downloads.
# LOAD_WORKERS and LOAD_THREADS try another split (6 × 2 on 29/11: pages alone about the same,
# p95 1.0 s against 1.2 s, but the pages with the exports twice as slow, the downloads holding
# half the threads).
WORKERS = int(os.environ.get("LOAD_WORKERS", (os.cpu_count() or 1) + 1))
THREADS = int(os.environ.get("LOAD_THREADS", 4))
# The export worker runs on the CPU the pages leave (README: CPUSchedulingPolicy=idle).
WORKER_PRIORITY = ["chrt", "--idle", "0"]
PAGE_P95_TARGET = 500  # ms
TIMEOUT = 120  # idem
LOADS = []  # the machine's load average (1 min) at the start and the end


# (name, extra locust arguments): the full mix, then the same visitors without the downloads.
# Without the exports first: the jobs the second one queues keep the worker busy after it.
SCENARIOS = [
    ("pages seules", ["Visitor", "--exclude-tags", "export"]),
    ("pages et exports", ["Visitor"]),
]
BURST = "rafale d'exports"
BURST_CLIENTS = 50  # BurstDownloader users, each with BURST_EACH requests one after the other
BURST_EACH = 4
BURST_SHARED = 10  # of the clients, these share one address (a crawler); the others have theirs
BURST_QUERIES = 10  # distinct recaps: the cache cannot answer everything from one build
BURST_READERS = 10  # FicheReader users, a page every 0.5 to 1 s each
BURST_WARMUP = 5  # seconds of reading before the burst, not counted
BURST_USERS = BURST_CLIENTS + BURST_READERS
BURST_MAX_TIME = "180s"  # the run ends when the 200 downloads are answered; this is the bound


def prefix_for(scenario: str) -> Path:
    return ARTIFACTS / ("load_" + scenario.replace(" ", "_"))


def run_locust(
    base: str,
    prefix: Path,
    urls_file: Path,
    env: dict,
    extra: list[str],
    users: int = USERS,
    spawn_rate: int = SPAWN_RATE,
    run_time: str = RUN_TIME,
) -> int:
    """One bounded headless run; its CSV files go to `prefix`_stats.csv etc."""
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "scripts" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        run_time,
        "--stop-timeout",
        "10",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *extra,
    ]
    env = {**env, "LOAD_URLS": str(urls_file), "LOAD_TIMES": f"{prefix}_times.json"}
    return subprocess.run(command, cwd=ROOT, env=env, timeout=300).returncode


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(port: int) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "contrat.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: no HTTPS redirect (HSTS is only sent over HTTPS anyway).
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"{PG_SERVER}/{PG_DATABASE}",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "LOAD_PORT": str(port),
        # As behind the README's nginx: the client's address is the last of X-Forwarded-For,
        # which the locust visitors set, one address each (the downloads are throttled by it).
        "TRUSTED_PROXY_COUNT": "1",
    }


def manage(env, *args):
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True)


def fiches_in(database: str) -> int:
    """How many fiches the load database holds (0 if it or its table does not exist)."""
    import psycopg

    try:
        with psycopg.connect(f"{PG_SERVER}/{database}") as conn:
            return conn.execute("SELECT count(*) FROM actions_ficheaction").fetchone()[0]
    except psycopg.Error:
        return 0


def prepare(env, keep: bool) -> dict:
    """Database (fresh unless `keep` finds it filled), data, static files; returns the URLs the
    visitors pick from."""
    import psycopg

    if not (keep and fiches_in(PG_DATABASE) >= FICHES):
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"')
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "seed_recap")
        manage(env, "generate_demo", "--fiches", str(FICHES), "--seed", "59", "--force")
    manage(env, "migrate", "--noinput", "-v0")
    # The jobs of an earlier run would be served again (same export, same data version).
    # Cold caches too, as after an edit: the pages' figures are computed during the run.
    manage(
        env,
        "shell",
        "-c",
        "from actions.jobs import ExportJob; ExportJob.objects.all().delete(); "
        "from contrat.dataversion import data_version_bump; data_version_bump()",
    )
    manage(env, "collectstatic", "--noinput", "-v0")
    # What autovacuum does soon after a bulk load (since PostgreSQL 13, inserts trigger it too):
    # statistics, and the visibility map that lets a page's ids come from an index alone.
    with psycopg.connect(f"{PG_SERVER}/{PG_DATABASE}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    script = (
        "import django, json; django.setup()\n"
        "from django.db.models import Count\n"
        "from django.templatetags.static import static\n"
        "from actions.models import FicheAction\n"
        "from enjeux.models import Orientation\n"
        "from enjeux.querysets import current_enjeux\n"
        "from structures.models import Structure\n"
        "fiches = list(FicheAction.objects.published().values_list('slug', flat=True))\n"
        "print(json.dumps({'fiches': fiches, 'pages': len(fiches) // 20 + 1,\n"
        "  'structures': list(Structure.objects.filter(participations__isnull=False)"
        ".distinct().values_list('slug', flat=True)),\n"
        # The burst's recaps: the structures that carry the most fiches, first.
        "  'porteurs': list(Structure.objects.filter(participations__role='porteur')"
        ".annotate(n=Count('participations')).order_by('-n', 'slug')"
        ".values_list('slug', flat=True)[:20]),\n"
        "  'enjeux': list(current_enjeux().values_list('numero', flat=True)),\n"
        "  'orientations': list(Orientation.objects.filter(enjeu__in=current_enjeux())"
        ".values_list('pk', flat=True)),\n"
        "  'stylesheet': static('css/site.css')}))\n"
    )
    output = subprocess.run(
        [str(BIN / "python"), "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def wait_until_up(url: str, server: subprocess.Popen, seconds: int = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                "gunicorn s'est arrêté au démarrage : voir artifacts/load_gunicorn.log"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn ne répond pas sur {url} après {seconds} s")


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_failures(prefix: Path) -> list[dict]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def versions() -> str:
    import django
    import gunicorn
    import locust
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres") as conn:
        server = conn.info.server_version
    return (
        f"Python {sys.version.split()[0]}, Django {django.get_version()}, "
        f"gunicorn {gunicorn.__version__}, locust {locust.__version__}, "
        f"PostgreSQL {server // 10000}.{server % 100}"
    )


def thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def is_page(name: str) -> bool:
    """A page a visitor reads: not a download (named "export …" by the locustfile, or the
    burst's), nor a static file."""
    return not (name.startswith("export") or name.startswith("rafale") or "statique" in name)


def page_percentiles(prefix: Path) -> dict:
    """The pages' own count, p50, p95 and p99 (ms), from every request's time."""
    path = Path(f"{prefix}_times.json")
    if not path.exists():
        return {}
    times = sorted(ms for name, ms in json.loads(path.read_text()) if is_page(name))
    if not times:
        return {}

    def at(q):
        return times[min(len(times) - 1, round(q * (len(times) - 1)))]

    return {"count": len(times), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99)}


def summary(stats) -> dict:
    return next(row for row in stats if row["Name"] == "Aggregated")


def burst_lines(burst) -> list[str]:
    """The burst's block: the fiche pages' times, and the downloads by status."""
    stats, failures, _seconds = burst
    own = BURST_CLIENTS - BURST_SHARED
    rows = {row["Name"]: row for row in stats}
    total = rows["Aggregated"]
    duration = int(total["Request Count"]) / max(float(total["Requests/s"]), 1e-9)
    fiches = rows.get("/actions/<slug>/")
    statuses = sorted(name for name in rows if name.startswith("rafale"))
    p95 = int(fiches["95%"]) if fiches else None
    verdict = "tenue" if p95 is not None and p95 < 1000 else "**manquée**"
    lines = [
        "",
        "### Rafale d'exports (issue 15)",
        "",
        f"{BURST_CLIENTS} clients demandent chacun {BURST_EACH} PDF récapitulatifs à la suite"
        f" ({BURST_CLIENTS * BURST_EACH} requêtes, « 4 vagues de 50 ») : {own} ont chacun"
        f" leur adresse, {BURST_SHARED} partagent la même (un robot),"
        f" par `X-Forwarded-For` comme derrière nginx ; chaque PDF est celui des fiches d'une"
        f" structure porteuse, parmi les {BURST_QUERIES} qui en portent le plus (une vingtaine"
        " de fiches chacune), pour que le cache ne réponde pas à tout d'un seul rendu. Le cache"
        " part vide (version des données changée juste avant, comme après une modification)."
        f" Pendant ce temps, {BURST_READERS} personnes lisent des fiches (0,5 à 1 s entre deux"
        f" pages, depuis {BURST_WARMUP} s avant la rafale, non comptées) ; la"
        " mesure s'arrête quand les 200 téléchargements ont reçu leur réponse"
        f" ({duration:.0f} s de rafale). Réglages par défaut : `EXPORT_RATE=20/m`, deux"
        " téléchargements en cours au plus par processus (les autres threads restent aux pages),"
        " un rendu à la fois par processus et par machine, 5 s d'attente au plus pour un rendu"
        " (`EXPORT_RENDER_WAIT`) ; 200, 429"
        " (limite par adresse) et 503 (pas de place, « réessayez ») sont des réponses"
        " attendues, tout autre statut une erreur.",
        "",
        "| requête | nombre | erreurs | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in (["/actions/<slug>/"] if fiches else []) + statuses:
        row = rows[name]
        lines.append(
            f"| `{name}` | {row['Request Count']} | {row['Failure Count']} | {row['50%']} | "
            f"{row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} |"
        )
    if p95 is not None:
        lines += [
            "",
            f"p95 des pages de fiche pendant la rafale : **{p95} ms** (cible < 1 s : {verdict}).",
        ]
    if failures:
        lines += ["", "Erreurs de la rafale :", ""]
        lines += [f"- `{f['Name']}` : {f['Error']} ({f['Occurrences']} fois)" for f in failures]
    return lines


def write_doc(results: dict, burst, page_stats: dict) -> str:
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_exports import machine

    lines = [
        START,
        "## Charge (`make load`, scripts/load.py et scripts/locustfile.py)",
        "",
        f"Mesuré le {measured_at()} sur : {machine()}.",
        f"{versions()}.",
        "Montage de production sur 127.0.0.1 : `contrat.settings.production`, gunicorn"
        f" {WORKERS} workers (cœurs + 1) de {THREADS} threads, `--timeout {TIMEOUT}` (la"
        " commande du README ; plus `--keep-alive 5`, locust parlant directement à gunicorn),"
        " et les deux processus de fond des unités systemd du README (`manage.py db_worker`) :"
        " celui des exports longs sous la politique `SCHED_IDLE` (`chrt --idle 0` : il ne"
        " prend que le processeur que les pages laissent), celui des chiffres des pages"
        " (recalculés après une écriture, `contrat/precompute.py`) à leur priorité, caches"
        " dans la base (`DatabaseCache`, tables non journalisées), pages publiques gardées"
        " entières pour les visiteurs sans compte (`contrat/pagecache.py`), `TRUSTED_PROXY_COUNT=1`"
        " (chaque visiteur a son adresse dans `X-Forwarded-For`), whitenoise (fichiers"
        " compressés par collectstatic), PostgreSQL local,"
        f" `CONN_MAX_AGE=60`. Base `{PG_DATABASE}` : les 29 fiches de la recap et"
        f" {thousands(FICHES)} fiches générées"
        " (`generate_demo --seed 59 --force`, avec plans de financement et suivi) ; caches"
        " froids au départ (version des données changée, tâches d'export effacées). Locust"
        " (ses visiteurs `FastHttpUser`, sur geventhttpclient) tourne sur la même machine et"
        f" prend sa part des {os.cpu_count()} cœurs : {USERS} visiteurs, {SPAWN_RATE} nouveaux par"
        f" seconde, {RUN_TIME} par scénario ; chacun attend 0,5 à 2 s entre deux requêtes."
        " Parcours : accueil, liste (pages, recherche de mots, d'une et de deux lettres,"
        " filtres), fiches, structures (et leur recherche), enjeux, plan de financement,"
        " comités, CSS ; le scénario « pages et exports » y ajoute le CSV et le JSON de toutes"
        " les fiches (en flux), le classeur XLSX de toutes les fiches et le PDF des fiches"
        " d'un enjeu (tâches de fond : le visiteur est envoyé sur la page de la tâche, que"
        " le worker remplit), et le PDF des fiches d'une structure (fabriqué pendant la"
        " requête). Une page doit répondre 200 ; un"
        " téléchargement refusé par le portail (429 : trop depuis cette adresse ; 503 : pas de"
        " place pour un rendu, « réessayez ») est compté à part, sous son statut ; toute autre"
        " réponse est une erreur. Temps de réponse en ms (percentiles arrondis par locust)."
        f" Charge moyenne de la machine (1 min, d'autres processus compris) : {LOADS[0]:.1f} au"
        f" début, {LOADS[-1]:.1f} à la fin.",
        "",
        "Les pages seules (téléchargements et fichiers statiques écartés), dans chaque"
        f" scénario (cible : p95 < {PAGE_P95_TARGET} ms) :",
        "",
        "| scénario | pages | p50 | p95 | p99 | cible |",
        "|---|---:|---:|---:|---:|---|",
        *[
            f"| {name} | {pages['count']} | {pages['p50']:.0f} | **{pages['p95']:.0f}** |"
            f" {pages['p99']:.0f} | {'✔' if pages['p95'] < PAGE_P95_TARGET else '✘'} |"
            for name, pages in page_stats.items()
            if pages
        ],
        "",
        "Toutes les requêtes :",
        "",
        "| scénario | requêtes | erreurs | débit (req/s) | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (stats, _failures) in results.items():
        total = summary(stats)
        lines.append(
            f"| {name} | {total['Request Count']} | **{total['Failure Count']}** | "
            f"**{float(total['Requests/s']):.1f}** | {total['50%']} | {total['95%']} | "
            f"{total['99%']} | {float(total['Max Response Time']):.0f} |"
        )
    first, (stats, _failures) = list(results.items())[-1]
    lines += [
        "",
        f"Détail du scénario « {first} » (ms) :",
        "",
        "| requête | nombre | erreurs | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in sorted(stats, key=lambda r: -int(r["Request Count"])):
        if row["Name"] == "Aggregated":
            continue
        lines.append(
            f"| `{row['Name']}` | {row['Request Count']} | {row['Failure Count']} | "
            f"{row['50%']} | {row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} |"
        )
    for name, (_stats, failures) in results.items():
        if failures:
            lines += ["", f"Erreurs du scénario « {name} » :", ""]
            lines += [f"- `{f['Name']}` : {f['Error']} ({f['Occurrences']} fois)" for f in failures]
    lines += [
        *burst_lines(burst),
        "",
        END,
    ]
    section = "\n".join(lines)
    write_section(section, START, END)
    return section


def stop(process: subprocess.Popen) -> None:
    """Stop a process this script started, and its children (gunicorn's workers), by id."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_burst(base: str, urls_file: Path, env: dict) -> tuple[int, float]:
    """The burst, from cold: a new data version first (as after an edit in the admin), so that
    the downloads of the scenarios before are not what answers. Returns (exit code, seconds)."""
    bump = "from contrat.dataversion import data_version_bump; data_version_bump()"
    manage(env, "shell", "-c", bump)
    print(f"locust « {BURST} » : {BURST_CLIENTS} clients × {BURST_EACH} PDF")
    started = time.monotonic()
    code = run_locust(
        base,
        prefix_for(BURST),
        urls_file,
        env,
        ["BurstDownloader", "FicheReader"],
        users=BURST_USERS,
        spawn_rate=BURST_USERS,
        run_time=BURST_MAX_TIME,
    )
    return code, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-doc", action="store_true", help="print, do not write the doc")
    parser.add_argument(
        "--burst-only", action="store_true", help="the burst alone, printed (implies --no-doc)"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help=f"reuse the {PG_DATABASE} database if it holds {FICHES} fiches already",
    )
    args = parser.parse_args()
    scenarios = [] if args.burst_only else SCENARIOS
    LOADS.append(os.getloadavg()[0])
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    env = production_env(port)
    targets = prepare(env, args.keep)
    urls_file = ARTIFACTS / "load_urls.json"
    targets["burst"] = {
        "clients": BURST_CLIENTS,
        "each": BURST_EACH,
        "shared": BURST_SHARED,
        "queries": BURST_QUERIES,
        "warmup": BURST_WARMUP,
    }
    urls_file.write_text(json.dumps(targets), encoding="utf-8")
    base = f"http://127.0.0.1:{port}"
    log = open(ARTIFACTS / "load_gunicorn.log", "w", encoding="utf-8")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "contrat.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            # Locust talks to gunicorn directly, reusing its connections up to 2 s apart: past
            # gunicorn's 2 s keep-alive, a request raced the close (connection reset). nginx
            # does not keep its connections to gunicorn alive, by default.
            "--keep-alive",
            "5",
            "--timeout",
            str(TIMEOUT),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with its workers, by id
    )
    # The background workers, as the README's systemd units: the long exports' on the CPU the
    # pages leave, the pages' figures (recomputed after a write) at the pages' priority.
    worker_log = open(ARTIFACTS / "load_worker.log", "w", encoding="utf-8")  # noqa: SIM115
    db_worker = [str(BIN / "python"), "manage.py", "db_worker", "--no-reload", "--queue-name"]
    worker, figures_worker = (
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for command in ([*WORKER_PRIORITY, *db_worker, "default"], [*db_worker, "chiffres"])
    )
    try:
        wait_until_up(f"{base}/", server)
        returncodes = []
        for name, extra in scenarios:
            print(f"gunicorn prêt sur {base} ; locust « {name} » : {USERS} visiteurs, {RUN_TIME}")
            returncodes.append(run_locust(base, prefix_for(name), urls_file, env, extra))
        # The jobs still queued would take a core from the burst: it measures the pages alone.
        stop(worker)
        code, burst_seconds = run_burst(base, urls_file, env)
        returncodes.append(code)
    finally:
        stop(server)
        stop(worker)
        stop(figures_worker)
        log.close()
        worker_log.close()
        LOADS.append(os.getloadavg()[0])
    page_stats = {name: page_percentiles(prefix_for(name)) for name, _extra in scenarios}
    results = {
        name: (read_stats(prefix_for(name)), read_failures(prefix_for(name)))
        for name, _extra in scenarios
    }
    burst = (read_stats(prefix_for(BURST)), read_failures(prefix_for(BURST)), burst_seconds)
    print(json.dumps(page_stats, indent=2))
    if args.no_doc or args.burst_only:
        print(json.dumps({"results": results, "burst": burst}, indent=2))
    else:
        print(write_doc(results, burst, page_stats))
    failed = [failures for _stats, failures in results.values()] + [burst[1]]
    if any(returncodes) or any(failed):
        sys.exit(
            "Des requêtes ont échoué : voir artifacts/load_*_failures.csv et load_gunicorn.log"
        )


if __name__ == "__main__":
    main()
