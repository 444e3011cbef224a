"""Pages under load against a bare view: `make bench` (or `.venv/bin/python -m bench.run`).

Per scale (1 and 10) a fresh database eldercare_bench_<scale> on BENCH_DATABASE_URL's server
(default postgres://postgres@127.0.0.1:5432), prepared as bench/common.py says, and its gunicorn.
As the logged-in `lyngby`, wrk measures the bare view /bench/baseline and each page: each target
at scale 1 and right after at scale 10, each followed by a 5 s baseline probe, so every ratio
divides by a baseline of the same run. Writes bench/results.json and the table between the bench
markers in docs/benchmarks.md.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

from bench.common import (
    DRAFT,
    ROOT,
    Gunicorn,
    app_env,
    fresh_database,
    log,
    login,
    prepare,
    sql,
    stamp,
)

RESULTS, DOC = ROOT / "bench" / "results.json", ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
TARGETS = [  # name, path, wrk connections, kind
    ("baseline", "/bench/baseline", 16, "baseline"),
    ("statement_page", "/statements/173/vaerdighed/2018/", 16, "page"),
    ("entry_page", f"{DRAFT}/edit/", 16, "page"),
    ("initiatives_filtered", "/initiatives/?municipality=173&focus_area=livskvalitet", 16, "page"),
    ("overview", "/", 16, "page"),
    ("municipality_page", "/municipalities/173/", 16, "page"),
    ("statement_xlsx", "/statements/173/vaerdighed/2018/export.xlsx", 16, "xlsx"),
    (
        "year_export",
        "/years/vaerdighed/2018/export.xlsx",
        4,
        "export",
    ),  # 98 statements: 16 is too many
]
RATIO_TARGET = {"page": 0.5, "xlsx": 0.15}
STABILITY, P99_LIMIT_MS, SECONDS, PROBE_SECONDS = 0.20, 250.0, 10, 5


def wrk(url: str, cookie: str, connections: int, seconds: int) -> dict:
    command = f"wrk -t2 -c{connections} -d{seconds}s --timeout 10s --latency".split()
    run = subprocess.run(
        [*command, "-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    out = run.stdout

    def ms(percentile: str) -> float:
        found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return round(float(found[1]) * {"us": 0.001, "ms": 1, "s": 1000}[found[2]], 2)

    errors = re.findall(r"(?:Non-2xx or 3xx responses:|connect|read|write|timeout) (\d+)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    return {
        "rps": round(rps, 1),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "errors": sum(map(int, errors)),
    }


class Scale:
    """One scale's database, gunicorn, logged-in session and measurements."""

    def __init__(self, server: str, scale: int, workdir: str) -> None:
        self.key, self.database = f"scale_{scale}", f"eldercare_bench_{scale}"
        env = app_env(fresh_database(server, self.database), workdir)
        prepare(env, scale)
        self.app = Gunicorn(env, workdir)
        self.session = login(self.app.base)
        self.cookie = "; ".join(f"{k}={v}" for k, v in self.session.cookies.items())
        self.baseline_runs: list[dict] = []
        self.results: dict[str, dict] = {}
        for _name, path, _c, kind in TARGETS:  # each answers 200 to this session; caches warm
            self.get(path, times=3 if kind == "export" else 10)
        self.wrk(TARGETS[0][1], 16, 3)

    def get(self, path: str, times: int = 1) -> None:
        for _ in range(times):
            answer = self.session.get(self.app.base + path, allow_redirects=False, timeout=60)
            if answer.status_code != 200:
                raise RuntimeError(f"{path} answered {answer.status_code}, not 200")

    def wrk(self, path: str, connections: int, seconds: int, cookie: str | None = None) -> dict:
        figures = wrk(self.app.base + path, cookie or self.cookie, connections, seconds)
        # A sync worker finishes what it accepted: wait (bounded) until the queue wrk left is
        # served, i.e. three bare requests in a row answered within 20 ms each.
        deadline, fast = time.monotonic() + 30, 0
        while fast < 3 and time.monotonic() < deadline:
            started = time.monotonic()
            self.get(TARGETS[0][1])
            fast = fast + 1 if time.monotonic() - started < 0.02 else 0
        return figures

    def measure(self, name: str, path: str, connections: int, kind: str) -> None:
        self.get(path, times=2)
        figures = self.wrk(path, connections, SECONDS) | {"connections": connections}
        runs = [figures] if kind == "baseline" else [self.wrk(TARGETS[0][1], 16, PROBE_SECONDS)]
        self.baseline_runs += runs
        if kind != "baseline":
            self.results[name] = figures
        log(
            f"  {self.key:8} {name:20} {figures['rps']:7.1f} req/s  p50 {figures['p50_ms']:7.1f} "
            f"ms  p99 {figures['p99_ms']:7.1f} ms  (baseline {runs[-1]['rps']:.0f} req/s)"
        )

    def finish(self) -> dict:
        """The baseline is the mean of its runs (a 10 s run, then a probe after every target:
        throughput here drifts by tens of percent within minutes)."""
        runs = self.baseline_runs
        base = {
            k: round(statistics.mean(r[k] for r in runs), 2) for k in ("rps", "p50_ms", "p99_ms")
        }
        base |= {"errors": sum(r["errors"] for r in runs), "runs": [r["rps"] for r in runs]}
        base["connections"] = 16
        base["anonymous_rps"] = self.wrk(TARGETS[0][1], 16, PROBE_SECONDS, "bench=none")["rps"]
        results = {"baseline": base, **self.results}
        for figures in results.values():
            figures["ratio"] = round(figures["rps"] / base["rps"], 4)
        return results


def judge(text: str, ok: bool) -> list[str]:
    return [f"{text}: {'met' if ok else 'NOT met'}"]


def verdicts(all_results: dict) -> dict[tuple[str, str], list[str]]:
    kinds = {t[0]: t[3] for t in TARGETS}
    out = {}
    for key, results in all_results.items():
        for name, f in results.items():
            kind, notes = kinds[name], []
            if kind in RATIO_TARGET:
                notes += judge(f"ratio ≥ {RATIO_TARGET[kind]}", f["ratio"] >= RATIO_TARGET[kind])
            if f["connections"] == 16:
                notes += judge(f"p99 < {P99_LIMIT_MS:.0f} ms", f["p99_ms"] < P99_LIMIT_MS)
            first = all_results.get("scale_1", {}).get(name)
            if key != "scale_1" and kind != "baseline" and first:
                drift = f["ratio"] / first["ratio"] - 1
                if kind == "page":
                    notes += judge(
                        f"ratio within 20 % of scale 1 ({drift:+.0%})", abs(drift) <= STABILITY
                    )
                else:  # the target is for pages; the exports' change is shown, not judged
                    notes.append(f"ratio vs scale 1: {drift:+.0%} (no target)")
            if f["errors"]:
                notes += judge(f"no errors ({f['errors']})", False)
            out[key, name] = notes
    return out


def markdown(all_results: dict, elapsed: float) -> str:
    judged = verdicts(all_results)
    notes = [n for ns in judged.values() for n in ns]
    lines = [
        f"Measured by `make bench`, {stamp(elapsed)}; above: how it runs.",
        "",
        "| scale | target | conn | req/s | p50 ms | p99 ms | ratio | targets |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for key, results in all_results.items():
        for name, f in results.items():
            lines.append(
                f"| {key.replace('_', ' ')} | {name} | {f['connections']} | {f['rps']:.1f} | "
                f"{f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['ratio']:.3f} | "
                f"{'; '.join(judged[key, name]) or 'reference'} |"
            )
    met, total = sum(n.endswith(": met") for n in notes), sum(": " in n for n in notes)
    baselines = [(k.replace("_", " "), v["baseline"]) for k, v in all_results.items()]
    ranges = "; ".join(
        f"{k}: {min(b['runs']):.0f}–{max(b['runs']):.0f} req/s over {len(b['runs'])} runs, "
        f"{b['anonymous_rps']:.0f} req/s without the session cookie"
        for k, b in baselines
    )
    return "\n".join(lines) + (
        f"\n\n**{met} of {total} target checks met.** Raw figures: `bench/results.json`. "
        f"Baseline: {ranges}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10", help="comma-separated, default 1,10")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    scales = [int(s) for s in args.scales.split(",")]
    started, workdir, runs = time.monotonic(), tempfile.mkdtemp(prefix="eldercare-bench-"), []
    try:
        for scale in scales:
            runs.append(Scale(server, scale, workdir))
        # Each target at every scale in turn (one under load at a time): drift in the machine's
        # speed falls on both scales alike, so the scale comparison sees the app, not the hour.
        for target in TARGETS:
            for run in runs:
                run.measure(*target)
        all_results = {run.key: run.finish() for run in runs}
    finally:
        for run in runs:
            run.app.stop()
        for scale in scales:
            drop = f'DROP DATABASE IF EXISTS "eldercare_bench_{scale}" WITH (FORCE)'
            sql(f"{server}/postgres", drop)
        shutil.rmtree(workdir, ignore_errors=True)
    text = markdown(all_results, time.monotonic() - started)
    print("\n" + text)
    if not args.no_write:
        keys = ("rps", "p50_ms", "p99_ms", "ratio")
        shape = {
            s: {t: {k: f[k] for k in keys} for t, f in r.items()} for s, r in all_results.items()
        }
        RESULTS.write_text(json.dumps(shape, indent=2) + "\n")
        head, rest = DOC.read_text().split(START, 1)
        DOC.write_text(f"{head}{START}\n{text}\n{END}{rest.split(END, 1)[1]}")
        log(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
