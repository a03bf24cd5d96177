"""Peak memory of the process that writes the streamed CSV and JSON (issue 14), as production
starts it above EXPORT_STREAM_INLINE_FICHES fiches: `nice manage.py ecrire_donnees KIND FILE`.

Usage: python scripts/bench_stream.py [--dossier FOLDER] [--fiches 1000,10000]
       python scripts/bench_stream.py --existante DATABASE_URL   (its fiches, any engine)
Builds in FOLDER (a temporary one by default; kept and reused when given) one SQLite database
per size: the 29 fiches of the recap plus N fiches of `generate_demo --seed 10000`, test
settings. Then each file (the fiches' CSV and JSON, their financing lines' CSV, the contract
financer's grants) is written once per size by its own process, and once for no fiche (a
search that finds nothing: the process's own weight, Django and the modules it loads); prints
the file's size, the time, the CPU time and the process's peak resident memory (ru_maxrss,
read by wait4: this script loads no Django, so its size does not leak into the child's).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("actions-csv", "actions-json", "financements-csv", "subventions-csv")
NOTHING = "q=zzzqqqxxx"  # a search without result: the process writes an empty file


def manage(env, *args) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def database(folder: Path, fiches: int) -> dict:
    """The environment of a database of the recap and `fiches` generated ones, built once."""
    path = folder / f"flux-{fiches}.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "contrat.settings.test",
        "DATABASE_URL": f"sqlite:///{path}",
    }
    if not path.exists():
        partial = path.with_suffix(".partiel")
        partial.unlink(missing_ok=True)
        build = {**env, "DATABASE_URL": f"sqlite:///{partial}"}
        manage(build, "migrate", "-v0")
        manage(build, "loaddata", "recap", "-v0")
        manage(build, "generate_demo", "--fiches", str(fiches), "--seed", "10000", "-v0")
        partial.rename(path)
    return env


def write(env, kind: str, target: Path, query: str = "") -> dict:
    """One file written by `ecrire_donnees` in its own process, as write_in_process runs it."""
    command = ["nice", "-n", "10", sys.executable, str(ROOT / "manage.py"), "ecrire_donnees"]
    command += [kind, str(target), "--requete", query]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{kind} : le processus a échoué ({process.returncode})")
    return {
        "bytes": target.stat().st_size,
        "seconds": time.perf_counter() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossier", help="where the databases are built, and kept")
    parser.add_argument("--fiches", default="1000,10000", help="sizes, comma-separated")
    parser.add_argument("--existante", help="measure this database's fiches, build nothing")
    args = parser.parse_args()
    if args.existante:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "contrat.settings.test",
            "DATABASE_URL": args.existante,
        }
        with tempfile.TemporaryDirectory() as folder:
            for kind in KINDS:
                for name, query in (("aucune", NOTHING), ("toutes", "")):
                    r = write(env, kind, Path(folder) / kind, query)
                    print(
                        f"{name} | {kind} | {r['bytes'] / 1e6:.1f} Mo | {r['seconds']:.1f} s | "
                        f"{r['cpu']:.1f} s | {r['peak_mb']:.0f} Mo",
                        flush=True,
                    )
        return
    folder = Path(args.dossier or tempfile.mkdtemp(prefix="bench-flux-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        print("| fiches | fichier | octets | durée | CPU | mémoire (pic) |")
        print("|---:|---|---:|---:|---:|---:|")
        for count in (int(size) for size in args.fiches.split(",")):
            env = database(folder, count)
            for kind in KINDS:
                for fiches, query in ((0, NOTHING), (count, "")):
                    if fiches == 0 and count != int(args.fiches.split(",")[0]):
                        continue  # the empty file's process, once
                    r = write(env, kind, folder / f"{kind}-{fiches}", query)
                    print(
                        f"| {fiches} | {kind} | {r['bytes'] / 1e6:.1f} Mo | {r['seconds']:.1f} s"
                        f" | {r['cpu']:.1f} s | {r['peak_mb']:.0f} Mo |",
                        flush=True,
                    )
    finally:
        if not args.dossier:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
