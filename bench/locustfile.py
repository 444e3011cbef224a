"""`make load-test`'s mixed load: four readers of pages and exports (`udvalg`), two draft writers
(`lyngby`), a /healthz poller. Every request goes to the JSON-lines file LOAD_EVENTS."""

import itertools
import json
import os
import time

from locust import HttpUser, constant, events, task

from bench.common import DRAFT, entry_form, login

AMOUNTS = itertools.count(100_000)  # each save's own amount (the database is new every run)
EVENTS = open(os.environ["LOAD_EVENTS"], "a", buffering=1)  # noqa: SIM115 - closed at exit


@events.request.add_listener
def record(name, response, exception, context, **_kw) -> None:
    status = getattr(response, "status_code", 0) or type(exception).__name__
    EVENTS.write(json.dumps({"t": time.time(), "name": name, "status": status, **context}) + "\n")


class User(HttpUser):
    abstract, username = True, "lyngby"

    def on_start(self) -> None:
        login("", self.username, session=self.client)


class Reader(User):
    fixed_count, username, wait_time = 4, "udvalg", constant(0)
    paths = itertools.cycle(
        [
            "/statements/173/vaerdighed/2018/",
            "/",
            "/statements/173/vaerdighed/2018/export.xlsx",
            "/initiatives/?municipality=173&focus_area=livskvalitet",
            "/municipalities/173/",
            f"{DRAFT}/export.xlsx",
            "/statements/183/vaerdighed/2016/",
            "/years/vaerdighed/2018/compare/",
            "/years/vaerdighed/2018/export.xlsx",
            f"{DRAFT}/",
        ]
    )

    @task
    def read(self) -> None:
        path = next(self.paths)
        self.client.get(path, name="export" if path.endswith(".xlsx") else "page")


class Writer(User):
    """A draft save through the entry form, one amount changed to a value no save has used."""

    fixed_count, wait_time = 2, constant(0.05)

    @task
    def save(self) -> None:
        page = self.client.get(f"{DRAFT}/edit/", name="entry page")
        if page.status_code == 200:
            amount = next(AMOUNTS)
            body, row = entry_form(page.text, amount, pick=amount)
            context = {"row": row, "amount": amount}  # 409 (another save came first) is right
            url = f"{DRAFT}/edit/"
            self.client.post(url, body, name="draft save", allow_redirects=False, context=context)


class Health(HttpUser):
    fixed_count, wait_time = 1, constant(0.05)

    @task
    def poll(self) -> None:
        self.client.get("/healthz", name="healthz")
