"""Locust visitors of the public portal and its exports, driven by scripts/load.py (`make load`).

The URLs to pick from (fiche and structure slugs, enjeu numbers) are read from the JSON file
named by LOAD_URLS, which scripts/load.py writes from the load database."""

import json
import os
import random
from urllib.parse import quote

from locust import HttpUser, between, tag, task

with open(os.environ["LOAD_URLS"], encoding="utf-8") as handle:
    TARGETS = json.load(handle)

SEARCHES = ["jardins", "épicerie solidaire", "insertion", "ESS", "ludothèque", "Maubeuge", "vélo"]
SORTS = ["ordre", "titre", "-budget", "budget"]


class Visitor(HttpUser):
    """Someone (or a crawler) browsing: lists, searches, fiches, structures, downloads. Every
    response must be a 200: anything else counts as a failure."""

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
    def static_file(self):
        self.client.get(TARGETS["stylesheet"], name="fichier statique (CSS)")

    # Downloads: the whole recap as data (as the home page links them), and a structure's
    # fiches as PDF (as the filtered list links it). The whole recap as PDF is measured apart
    # by scripts/load.py: see docs/benchmarks.md. Tagged, so that a second run without them
    # (--exclude-tags export) shows what they cost the pages.
    @tag("export")
    @task(1)
    def export_csv(self):
        self.client.get("/actions/export/actions.csv", name="/actions/export/actions.csv")

    @tag("export")
    @task(1)
    def export_json(self):
        self.client.get("/actions/export/actions.json", name="/actions/export/actions.json")

    @tag("export")
    @task(1)
    def export_xlsx(self):
        structure = random.choice(TARGETS["structures"])
        self.client.get(
            f"/actions/export/recap.xlsx?structure={structure}",
            name="/actions/export/recap.xlsx?structure=…",
        )

    @tag("export")
    @task(1)
    def export_pdf(self):
        structure = random.choice(TARGETS["structures"])
        self.client.get(
            f"/actions/export/recap.pdf?structure={structure}&role=porteur",
            name="/actions/export/recap.pdf?structure=…&role=porteur",
        )
