"""The mixed load of `make load-test`; bench/load.py runs it with `locust --headless`.

Three readers and an exporter (the committee member `udvalg`), two draft writers and an importer
(`lyngby`), and, when named on the command line, a /healthz poller. Every request is appended to
the JSON-lines file LOAD_EVENTS (end time, name, status, ms, context) for the checks after the run.
"""

import itertools
import json
import os
import time

from locust import HttpUser, constant, events, task

from bench.common import DRAFT, form_values

READ_PATHS = [
    "/statements/173/vaerdighed/2018/",
    "/",
    "/initiatives/?municipality=173&focus_area=livskvalitet",
    "/municipalities/173/",
    "/statements/183/vaerdighed/2016/",
    "/years/vaerdighed/2018/compare/",
    f"{DRAFT}/",
]
EXPORT_PATHS = [
    "/statements/173/vaerdighed/2018/export.xlsx",
    f"{DRAFT}/export.xlsx",
    "/years/vaerdighed/2018/export.xlsx",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AMOUNTS = itertools.count(int(time.time()) % 100_000 * 10)  # never a value an earlier run saved
EVENTS = open(os.environ["LOAD_EVENTS"], "a", buffering=1)  # noqa: SIM115 - closed at exit


@events.request.add_listener
def record(name, response_time, response, exception, context, **_kw) -> None:
    status = getattr(response, "status_code", 0) or type(exception).__name__
    event = {"t": time.time(), "name": name, "status": status, "ms": response_time, **context}
    EVENTS.write(json.dumps(event) + "\n")


class User(HttpUser):
    abstract = True
    username = "lyngby"

    def on_start(self) -> None:
        self.client.get("/accounts/login/", name="login page")
        token = self.client.cookies["csrftoken"]
        login = {"username": self.username, "password": "demo", "csrfmiddlewaretoken": token}
        self.client.post("/accounts/login/", login, name="login")


class Reader(User):
    fixed_count, username, wait_time = 3, "udvalg", constant(0)
    kind, paths = "page", itertools.cycle(READ_PATHS)

    @task
    def read(self) -> None:
        self.client.get(next(self.paths), name=self.kind)


class Exporter(Reader):
    fixed_count, kind, paths = 1, "export", itertools.cycle(EXPORT_PATHS)


class Writer(User):
    """A draft save through the entry form: the page's fields (and version) as they are, one
    amount changed to a value no save has used. 409 is right when the other writer saved first."""

    fixed_count, wait_time = 2, constant(0.05)

    @task
    def save(self) -> None:
        page = self.client.get(f"{DRAFT}/edit/", name="entry page")
        if page.status_code != 200:
            return
        fields = form_values(page.text, "version")
        amount = 100_000 + next(AMOUNTS)
        rows = sorted(k for k, _v in fields if k.startswith("amount-"))
        row = rows[amount % len(rows)]
        body = [(k, v) for k, v in fields if k != row] + [(row, str(amount)), ("action", "save")]
        with self.client.post(
            f"{DRAFT}/edit/",
            body,
            name="draft save",
            allow_redirects=False,
            catch_response=True,
            context={"row": row, "amount": amount},
        ) as answer:
            if answer.status_code == 409:
                answer.success()


class Importer(User):
    """The draft's workbook exported, then uploaded for an import preview."""

    fixed_count, wait_time = 1, constant(0.2)

    @task
    def preview(self) -> None:
        workbook = self.client.get(f"{DRAFT}/export.xlsx", name="export")
        if workbook.status_code == 200:
            self.client.post(
                f"{DRAFT}/import/",
                {"csrfmiddlewaretoken": self.client.cookies["csrftoken"]},
                files={"file": ("redegoerelse.xlsx", workbook.content, XLSX)},
                name="import preview",
            )


class Health(HttpUser):
    fixed_count, wait_time = 1, constant(0.05)

    @task
    def poll(self) -> None:
        self.client.get("/healthz", name="healthz")
