"""`make conformance`: Kubernetes v1.20.2's own sig-network conformance tests
(e2e.test, built by conformance/build.sh) against a fresh kubemn cluster of two
nodes. Prints a (test, result) table, keeps it in the README, and leaves the JUnit
report and e2e.test's log in build/e2e/report/.

  python -m conformance                 the [sig-network] [Conformance] tests
  python -m conformance --focus REGEX   others (ginkgo's focus)
"""
import argparse
import glob
import os
import subprocess
import sys
import time

from conformance.junit import replace_table, results, table
from topo.cluster import Cluster, progress_to_stderr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "e2e")
CONFORMANCE = r"\[sig-network\].*\[Conformance\]"
TIME_LIMIT = 25 * 60   # seconds for the whole e2e.test run


def say(message):
    sys.stderr.write("conformance: %s\n" % message)
    sys.stderr.flush()


def run_suite(kubeconfig, focus, report):
    """Runs e2e.test against kubeconfig's cluster; its exit code, or None on timeout."""
    argv = [os.path.join(BUILD, "e2e.test"), "--provider=skeleton",
            "--kubeconfig=" + kubeconfig, "--kubectl-path=" + os.path.join(
                os.path.dirname(sys.executable), "kubectl"),
            "--disable-log-dump=true", "--dump-logs-on-failure=false",
            # The 1.20 suite waits for a token Secret on each namespace's default
            # ServiceAccount, which Kubernetes stopped making in 1.24.
            "--e2e-verify-service-account=false",
            "--report-dir=" + report, "--ginkgo.noColor", "--ginkgo.focus=" + focus]
    with open(os.path.join(report, "e2e.log"), "w") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=report)
        try:
            return process.wait(TIME_LIMIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--focus", default=CONFORMANCE)
    args = parser.parse_args(argv)
    if not os.access(os.path.join(BUILD, "e2e.test"), os.X_OK):
        say("no e2e.test: run conformance/build.sh (make conformance does)")
        return 2
    report = os.path.join(BUILD, "report")
    os.makedirs(report, exist_ok=True)
    for old in glob.glob(os.path.join(report, "*")):
        os.remove(old)
    started = time.monotonic()
    with Cluster(None, nodes=2, progress=progress_to_stderr) as cluster:
        say("running e2e.test --ginkgo.focus=%s (log: %s)"
            % (args.focus, os.path.join(report, "e2e.log")))
        code = run_suite(cluster.kubeconfig, args.focus, report)
    minutes = (time.monotonic() - started) / 60
    reports = sorted(glob.glob(os.path.join(report, "junit*.xml")))
    if code is None or not reports:
        say("e2e.test %s after %.1f min, no report: see %s"
            % ("timed out" if code is None else "exited %s" % code, minutes,
               os.path.join(report, "e2e.log")))
        return 1
    picked, rows = 0, []
    for path in reports:
        count, found = results(open(path).read())
        picked, rows = picked + count, rows + found
    text = table(picked, rows, "Kubernetes v1.20.2 e2e, `--ginkgo.focus=%s`, %.1f min "
                 "(%s)" % (args.focus, minutes, time.strftime("%Y-%m-%d")))
    print(text)
    if args.focus == CONFORMANCE:
        readme = os.path.join(ROOT, "README.md")
        with open(readme) as handle:
            document = handle.read()
        with open(readme, "w") as handle:
            handle.write(replace_table(document, text))
        say("the table is in README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
