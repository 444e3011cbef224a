"""`make bench`: pages under load against a bare view, as docs/benchmarks.md says. Writes
bench/results.json and the table between the markers in docs/benchmarks.md."""

import contextlib
import json
import os
import re
import statistics
import subprocess
import tempfile
import time

from bench import common

RESULTS, DOC = common.ROOT / "bench" / "results.json", common.ROOT / "docs" / "benchmarks.md"
MARKERS = re.compile(r"(?<=<!-- bench:start -->\n).*(?=<!-- bench:end -->)", re.S)
BASELINE, SECONDS, PROBE_SECONDS = "/bench/baseline", 10, 5
# name, path, wrk connections (4 for a workbook of 98 statements), the least ratio to the baseline
# (a page is also held to within 20 % of its scale 1 ratio at scale 10); the entry page (a form
# with 12 inputs and a live balance, never cached) is held to 0.3 (issue 13)
TARGETS = [
    ("baseline", BASELINE, 16, None),
    ("statement_page", "/statements/173/vaerdighed/2018/", 16, 0.5),
    ("entry_page", f"{common.DRAFT}/edit/", 16, 0.3),
    ("initiatives_filtered", "/initiatives/?municipality=173&focus_area=livskvalitet", 16, 0.5),
    ("landing", "/", 16, 0.5),  # lyngby's "Dine opgaver"
    ("overview", "/overview/", 16, 0.5),
    ("municipality_page", "/municipalities/173/", 16, 0.5),
    ("statement_xlsx", "/statements/173/vaerdighed/2018/export.xlsx", 16, 0.15),
    ("year_export", "/years/vaerdighed/2018/export.xlsx", 4, None),
]


def wrk(url: str, cookie: str, connections: int, seconds: int) -> dict:
    command = f"wrk -t2 -c{connections} -d{seconds}s --timeout 10s --latency {url} -H".split()
    out = subprocess.check_output([*command, f"Cookie: {cookie}"], text=True, timeout=seconds + 60)
    ms = {
        p: round(float(n) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)
        for p, n, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", out, re.M)
    }
    errors = re.findall(r"(?:Non-2xx or 3xx responses:|connect|read|write|timeout) (\d+)", out)
    rps = round(float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]), 1)
    return {"rps": rps, "p50_ms": ms["50"], "p99_ms": ms["99"], "errors": sum(map(int, errors))}


class Scale:
    """One scale's database and gunicorn (both gone when `stack` closes), session and figures."""

    def __init__(self, server: str, scale: int, workdir: str, stack: contextlib.ExitStack) -> None:
        self.key, database = f"scale_{scale}", f"eldercare_bench_{scale}"
        self.app = common.Gunicorn(common.prepare(server, database, scale, workdir, stack), workdir)
        stack.callback(self.app.stop)
        self.session = common.login(self.app.base)
        self.cookie = "; ".join(f"{k}={v}" for k, v in self.session.cookies.items())
        self.probes, self.results = [], {}
        for _name, path, *_ in TARGETS * 5:  # each answers 200 to this session; caches warm
            self.get(path)

    def get(self, path: str) -> float:
        answer = self.session.get(self.app.base + path, allow_redirects=False, timeout=60)
        if answer.status_code != 200:  # not a redirect to the login page, for one
            raise RuntimeError(f"{path} answered {answer.status_code}, not 200")
        return answer.elapsed.total_seconds()

    def wrk(self, path: str, seconds: int, connections: int = 16) -> dict:
        figures = wrk(self.app.base + path, self.cookie, connections, seconds)
        # A sync worker finishes what it accepted: wait (bounded) until the queue wrk left is
        # served, i.e. three bare requests in a row answered within 20 ms each.
        common.wait_until(lambda: all(self.get(BASELINE) < 0.02 for _ in range(3)), 30, 0)
        return figures

    def measure(self, name: str, path: str, connections: int, _least: float | None) -> None:
        """A target, then a baseline probe: throughput here drifts by tens of percent within
        minutes, so the baseline is the mean of its 10 s run and a probe after every target."""
        self.results[name] = figures = self.wrk(path, SECONDS, connections)
        self.probes.append(figures if name == "baseline" else self.wrk(BASELINE, PROBE_SECONDS))
        common.log(f"  {self.key} {name}: {figures}, baseline {self.probes[-1]['rps']} req/s")

    def finish(self) -> dict:
        mean = {k: statistics.mean(r[k] for r in self.probes) for k in ("rps", "p50_ms", "p99_ms")}
        errors = sum(r["errors"] for r in self.probes)
        self.results["baseline"] |= {k: round(v, 2) for k, v in mean.items()} | {"errors": errors}
        for figures in self.results.values():
            figures["ratio"] = round(figures["rps"] / mean["rps"], 4)
        return self.results


def markdown(results: dict, elapsed: float) -> str:
    """The table of figures, each row with the targets it is held to, ✓ or ✗."""
    lines = [
        f"Measured by `make bench`, {common.stamp(elapsed)}; above: how it runs.",
        "",
        "| scale | target | conn | req/s | p50 ms | p99 ms | ratio | targets |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    met = judged = 0
    for key, figures in results.items():
        for name, _path, connections, least in TARGETS:
            f, first = figures[name], results["scale_1"][name]
            drift = f["ratio"] / first["ratio"] - 1
            checks = [  # whether it applies, what, whether it is met
                (least, f"ratio ≥ {least}", f["ratio"] >= (least or 0)),
                (connections == 16, "p99 < 250 ms", f["p99_ms"] < 250),
                (
                    key != "scale_1" and least in (0.3, 0.5),
                    f"{drift:+.0%} on scale 1",
                    abs(drift) <= 0.2,
                ),
                (f["errors"], f"{f['errors']} errors", False),
            ]
            checks = [(text, ok) for applies, text, ok in checks if applies]
            met, judged = met + sum(ok for _text, ok in checks), judged + len(checks)
            notes = "; ".join(f"{text} {'✓' if ok else '✗'}" for text, ok in checks) or "none"
            cells = [key.replace("_", " "), name, connections, f["rps"], f["p50_ms"], f["p99_ms"]]
            lines.append(f"| {' | '.join(map(str, cells))} | {f['ratio']:.3f} | {notes} |")
    return "\n".join(lines) + f"\n\n**{met} of {judged} target checks met.**"


def main() -> None:
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="eldercare-bench-"))
        scales = [Scale(server, scale, workdir, stack) for scale in (1, 10)]
        # Each target at every scale in turn (one under load at a time): drift in the machine's
        # speed falls on both scales alike, so the scale comparison sees the app, not the hour.
        for target in TARGETS:
            for scale in scales:
                scale.measure(*target)
        results = {scale.key: scale.finish() for scale in scales}
    text = markdown(results, time.monotonic() - started)
    print("\n" + text)
    keys = ("rps", "p50_ms", "p99_ms", "ratio")
    shape = {s: {t: {k: f[k] for k in keys} for t, f in r.items()} for s, r in results.items()}
    RESULTS.write_text(json.dumps(shape, indent=2) + "\n")
    DOC.write_text(MARKERS.sub(lambda _match: text + "\n", DOC.read_text(), count=1))
    common.log(f"wrote {RESULTS.relative_to(common.ROOT)} and {DOC.relative_to(common.ROOT)}")


if __name__ == "__main__":
    main()
