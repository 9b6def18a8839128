"""`make conformance`: Kubernetes v1.20.2's own sig-network conformance and
NetworkPolicy tests (e2e.test, built by conformance/build.sh) against a fresh kubemn
cluster of two nodes, one e2e.test run a test (each within SPEC_LIMIT; one that
fails runs once more, and the table says so). Prints a (test, result) table, keeps it
in the README, and leaves each test's JUnit report and log in build/e2e/report/NN/.
Exits 1 unless every test passed.

  python -m conformance                 sig-network's [Conformance] and NetworkPolicy
                                        tests (SCTP's left out), 4 at a time
  python -m conformance --focus REGEX [--skip REGEX] [--parallel N]   others
"""
import argparse
import concurrent.futures
import glob
import os
import shutil
import signal
import subprocess
import sys
import time

from conformance.junit import FAILED, PASSED, passed, replace_table, results, table
from topo.cluster import Cluster, progress_to_stderr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "e2e")
# sig-network's conformance tests, and its NetworkPolicy ones but those of SCTP
# (the issue excludes them; kubemn's pods serve TCP and UDP only: README, limits).
FOCUS = r"\[sig-network\].*\[Conformance\]|\[sig-network\] NetworkPolicy"
SKIP = "SCTP"
# Tests run at once: each has namespaces of its own (upstream runs them in parallel
# too); a NetworkPolicy test spends most of its time waiting out refused probes.
PARALLEL = 4
# Seconds for one test: a test that waits out its own timeouts (ten minutes, for a
# DNS probe whose answers never come) is stopped, and reported as such. The longest
# NetworkPolicy tests wait out five refused probes of 46 s.
SPEC_LIMIT = 360
GO_REGEXP_SPECIAL = set("\\.+*?()|[]{}^$")
RUNNING = set()          # the e2e.test processes running now
STOPPING = []            # a signal asked the run to stop


def exact(name):
    """A ginkgo focus (Go's regexp) that picks the spec called name (ginkgo matches
    it against more than the name: no anchors)."""
    return "".join("\\" + c if c in GO_REGEXP_SPECIAL else c for c in name)


def last_step(log_path):
    """The last STEP line of an e2e.test log: where a stopped test was waiting."""
    steps = [line.strip() for line in open(log_path, errors="replace")
             if line.startswith("STEP: ")]
    return steps[-1][len("STEP: "):] if steps else "before its first step"


def say(message):
    sys.stderr.write("conformance: %s\n" % message)
    sys.stderr.flush()


def _argv(kubeconfig, focus, skip, report, *extra):
    return [os.path.join(BUILD, "e2e.test"), "--provider=skeleton",
            "--kubeconfig=" + kubeconfig, "--kubectl-path=" + os.path.join(
                os.path.dirname(sys.executable), "kubectl"),
            "--disable-log-dump=true", "--dump-logs-on-failure=false",
            # The 1.20 suite waits for a token Secret on each namespace's default
            # ServiceAccount, which Kubernetes stopped making in 1.24.
            "--e2e-verify-service-account=false",
            "--report-dir=" + report, "--ginkgo.noColor", "--ginkgo.focus=" + focus] + \
        (["--ginkgo.skip=" + skip] if skip else []) + list(extra)


def list_specs(focus, skip, report):
    """The names of the specs focus picks, from a dry run's report (no cluster)."""
    folder = os.path.join(report, "dry-run")
    os.makedirs(folder, exist_ok=True)
    subprocess.run(_argv("/dev/null", focus, skip, folder, "--ginkgo.dryRun"), cwd=folder,
                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                   stdin=subprocess.DEVNULL, timeout=300)
    return [name for name, _ in report_rows(folder)]


def report_rows(folder):
    """The (test, result) rows of the JUnit reports in folder."""
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "junit*.xml"))):
        rows += results(open(path).read())[1]
    return rows


def run_spec(kubeconfig, name, skip, folder):
    """Runs one spec; (its rows, from its report, or a timeout's row)."""
    os.makedirs(folder, exist_ok=True)
    log_path = os.path.join(folder, "e2e.log")
    with open(log_path, "w") as log:
        process = subprocess.Popen(_argv(kubeconfig, exact(name), skip, folder), stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=folder)
        RUNNING.add(process)
        try:
            process.wait(SPEC_LIMIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return [(name, "%s: still running after %d s, stopped (%s)"
                     % (FAILED, SPEC_LIMIT, last_step(log_path)))]
        finally:
            RUNNING.discard(process)
    return report_rows(folder) or [(name, "%s: no report (see %s)" % (FAILED, log_path))]


def run_specs(kubeconfig, names, skip, report, parallel):
    """Runs names, parallel at a time (each test has namespaces of its own, as in
    upstream's parallel runs); their rows in the order of names."""
    def one(index, name):
        if STOPPING:
            return [(name, "%s: not run (stopped)" % FAILED)]
        rows = run_spec(kubeconfig, name, skip, os.path.join(report, "%02d" % index))
        if not passed(rows) and not STOPPING:   # once more, in a folder of its own
            again = run_spec(kubeconfig, name, skip, os.path.join(report, "%02d-again" % index))
            if passed(again):
                rows = [(n, "%s on a second run (the first %s)" % (PASSED, result))
                        for n, result in rows]
        say("%d/%d %s\n   %s" % (index, len(names), name, rows[-1][1]))
        return rows
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        futures = [pool.submit(one, index, name) for index, name in enumerate(names, 1)]
        return [row for future in futures for row in future.result()]


def _stop(signum, _frame):
    """Ends the run's tests at once; the cluster then goes as on any exit."""
    STOPPING.append(signum)
    for process in list(RUNNING):
        process.kill()
    raise SystemExit(128 + signum)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--focus", default=FOCUS, help="ginkgo's focus")
    parser.add_argument("--skip", default=SKIP, help="ginkgo's skip ('' for none)")
    parser.add_argument("--parallel", type=int, default=PARALLEL,
                        help="tests run at once (default %d)" % PARALLEL)
    args = parser.parse_args(argv)
    if not os.access(os.path.join(BUILD, "e2e.test"), os.X_OK):
        say("no e2e.test: run conformance/build.sh (make conformance does)")
        return 2
    report = os.path.join(BUILD, "report")
    shutil.rmtree(report, ignore_errors=True)
    started = time.monotonic()
    names = list_specs(args.focus, args.skip, report)
    if not names:
        say("the focus %r picks no test" % args.focus)
        return 1
    say("%d tests, %d at a time" % (len(names), args.parallel))
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    with Cluster(None, nodes=2, progress=progress_to_stderr) as cluster:
        rows = run_specs(cluster.kubeconfig, names, args.skip, report, args.parallel)
    minutes = (time.monotonic() - started) / 60
    picked = len(names)
    text = table(picked, rows, "Kubernetes v1.20.2 e2e, `--ginkgo.focus=%s`%s, %d at a "
                 "time, %.1f min (%s)" % (args.focus, " `--ginkgo.skip=%s`" % args.skip
                                          if args.skip else "", args.parallel, minutes,
                                          time.strftime("%Y-%m-%d")))
    print(text)
    if (args.focus, args.skip) == (FOCUS, SKIP):
        readme = os.path.join(ROOT, "README.md")
        with open(readme) as handle:
            document = handle.read()
        with open(readme, "w") as handle:
            handle.write(replace_table(document, text))
        say("the table is in README.md")
    return 0 if passed(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
