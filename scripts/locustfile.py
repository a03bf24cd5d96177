"""Locust visitors of the public portal and its exports, driven by scripts/load.py (`make load`).

The URLs to pick from (fiche and structure slugs, enjeu numbers) are read from the JSON file
named by LOAD_URLS, which scripts/load.py writes from the load database. Each visitor has its
own client address, sent in X-Forwarded-For as the README's nginx would (the server runs with
TRUSTED_PROXY_COUNT=1): the portal throttles downloads per address. The addresses are from the
documentation ranges (RFC 5737): a header only, no traffic goes anywhere but 127.0.0.1."""

import itertools
import json
import os
import random
from urllib.parse import quote

import gevent
from locust import FastHttpUser, between, constant, events, tag, task

with open(os.environ["LOAD_URLS"], encoding="utf-8") as handle:
    TARGETS = json.load(handle)

_visitor_numbers = itertools.count()

# Every request's (name, milliseconds), written to LOAD_TIMES when locust quits: scripts/load.py
# computes the pages' own percentiles from it (locust's CSV only has them per name, or all
# requests mixed).
_times: list[tuple[str, float]] = []


@events.request.add_listener
def _record(name, response_time, **kwargs):
    _times.append((name, response_time))


@events.quitting.add_listener
def _dump(**kwargs):
    if os.environ.get("LOAD_TIMES"):
        with open(os.environ["LOAD_TIMES"], "w", encoding="utf-8") as handle:
            json.dump(_times, handle)


def next_address(network: str = "198.51.100") -> str:
    return f"{network}.{next(_visitor_numbers) % 254 + 1}"


def download(user, url: str, name: str, *, by_status: bool = False) -> None:
    """A download. The portal may refuse one, as it should under load: 429 (too many from this
    address) or 503 (no render slot free, "réessayez"); those are counted apart, under their
    status (every status with `by_status`). Anything else is a failure."""
    with user.client.get(url, name=name, catch_response=True) as response:
        if by_status or response.status_code != 200:
            response.request_meta["name"] = f"{name} → {response.status_code}"
        if response.status_code in (200, 429, 503):
            response.success()
        else:
            response.failure(f"statut {response.status_code}")


SEARCHES = [
    "jardins",
    "épicerie solidaire",
    "insertion",
    "ESS",
    "ludothèques",
    "Maubeuge",
    "vélo",
    "a",
    "du",
]
SORTS = ["ordre", "titre", "-budget", "budget"]


class AddressedUser(FastHttpUser):
    """A client with its own address in X-Forwarded-For (`address()`), on locust's
    geventhttpclient client, which spends several times less CPU per request than its
    requests-based one (locust's documentation): locust shares the server's cores here."""

    abstract = True
    # As long as gunicorn lets a request run (its --timeout, scripts/load.py), and more: a slow
    # answer is measured, not cut (geventhttpclient's default is 60 s; requests had none).
    network_timeout = connection_timeout = 180.0

    def __init__(self, environment):
        self.default_headers = {"X-Forwarded-For": self.address()}
        super().__init__(environment)

    def address(self) -> str:
        return next_address()


class Visitor(AddressedUser):
    """Someone (or a crawler) browsing: lists, searches, fiches, structures, downloads. Every
    page must answer 200, every download 200, 429 or 503 (see `download`)."""

    wait_time = between(0.5, 2)

    @task(4)
    def home(self):
        self.client.get("/", name="/")

    @task(8)
    def fiche_list(self):
        page = random.randint(1, TARGETS["pages"])
        self.client.get(f"/actions/?page={page}", name="/actions/?page=n")

    @task(4)
    def search(self):
        query = quote(random.choice(SEARCHES))
        self.client.get(f"/actions/?q={query}", name="/actions/?q=…")

    @task(4)
    def filtered_list(self):
        structure = random.choice(TARGETS["structures"])
        sort = random.choice(SORTS)
        self.client.get(
            f"/actions/?structure={structure}&budget_min=5000&sort={sort}",
            name="/actions/?structure=…&budget_min=…&sort=…",
        )

    @task(10)
    def fiche(self):
        self.client.get(f"/actions/{random.choice(TARGETS['fiches'])}/", name="/actions/<slug>/")

    @task(3)
    def structure(self):
        slug = random.choice(TARGETS["structures"])
        self.client.get(f"/structures/{slug}/", name="/structures/<slug>/")

    @task(1)
    def structures(self):
        self.client.get("/structures/", name="/structures/")

    @task(1)
    def enjeux(self):
        self.client.get("/enjeux/", name="/enjeux/")

    @task(1)
    def enjeu(self):
        numero = random.choice(TARGETS["enjeux"])
        self.client.get(f"/enjeux/{numero}/", name="/enjeux/<n>/")

    @task(1)
    def financements(self):
        self.client.get("/financements/", name="/financements/")

    @task(1)
    def comites(self):
        self.client.get("/comites/", name="/comites/")

    @task(1)
    def structures_search(self):
        query = quote(random.choice(["centre social", "ressourcerie", "co"]))
        self.client.get(f"/structures/?q={query}", name="/structures/?q=…")

    @task(1)
    def static_file(self):
        self.client.get(TARGETS["stylesheet"], name="fichier statique (CSS)")

    # Downloads: the whole recap as data, streamed (as the home page links them); the recap
    # workbook of every fiche and the recap PDF of an orientation's fiches (a few hundred),
    # both background jobs (the visitor is sent to the job's page, which the worker's progress
    # fills); a structure's fiches as PDF, built while the visitor waits. Tagged, so that a
    # run without them (--exclude-tags export) shows what they cost the pages; named
    # "export …", so that the pages' percentiles leave them out.
    @tag("export")
    @task(1)
    def export_csv(self):
        download(self, "/actions/export/actions.csv", "export actions.csv (flux)")

    @tag("export")
    @task(1)
    def export_json(self):
        download(self, "/actions/export/actions.json", "export actions.json (flux)")

    @tag("export")
    @task(1)
    def export_xlsx_all(self):
        download(self, "/actions/export/recap.xlsx", "export recap.xlsx de tout (tâche)")

    @tag("export")
    @task(1)
    def export_pdf_orientation(self):
        orientation = random.choice(TARGETS["orientations"])
        download(
            self,
            f"/actions/export/recap.pdf?orientation={orientation}",
            "export recap.pdf?orientation=… (tâche)",
        )

    @tag("export")
    @task(1)
    def export_pdf(self):
        structure = random.choice(TARGETS["structures"])
        download(
            self,
            f"/actions/export/recap.pdf?structure={structure}&role=porteur",
            "export recap.pdf?structure=…&role=porteur",
        )


# --- The burst of issue 15: 200 recap PDFs at once, while people read fiches --------------------

# Its figures come from scripts/load.py (documented with the results): 50 clients, 4 requests
# each one after the other (4 waves of 50), 10 of them sharing one address, 10 distinct recaps.
BURST = TARGETS["burst"]
_burst_clients = itertools.count()
_burst_done = itertools.count(1)
_burst_started = []


class BurstDownloader(AddressedUser):
    """One client of the burst: its recap PDFs (each a structure's fiches as porteur, among
    the structures carrying the most) back to back, then idle. The figures are reset when the
    burst starts and the run ends with its last answer, so that the readers' figures cover the
    burst only. Requests are named by status, for the counts."""

    fixed_count = BURST["clients"]
    wait_time = constant(0)

    def address(self) -> str:
        shared = next(_burst_clients) < BURST["shared"]
        return "192.0.2.1" if shared else next_address("203.0.113")

    def on_start(self):
        self.sent = 0
        # The readers first: their connections open, then the burst; the figures start with it.
        gevent.sleep(BURST["warmup"])
        if not _burst_started:
            _burst_started.append(True)
            self.environment.runner.stats.reset_all()

    @task
    def recap_pdf(self):
        if self.sent >= BURST["each"]:
            gevent.sleep(1)
            return
        self.sent += 1
        structure = random.choice(TARGETS["porteurs"][: BURST["queries"]])
        download(
            self,
            f"/actions/export/recap.pdf?structure={structure}&role=porteur",
            "rafale recap.pdf",
            by_status=True,
        )
        if self.sent == BURST["each"] and next(_burst_done) == BURST["clients"]:
            gevent.spawn(self.environment.runner.quit)  # not from this user: quit() stops it


class FicheReader(AddressedUser):
    """Someone reading fiches during the burst: the page whose time issue 15 measured."""

    wait_time = between(0.5, 1)

    @task
    def fiche(self):
        self.client.get(f"/actions/{random.choice(TARGETS['fiches'])}/", name="/actions/<slug>/")
