"""`make lab-check LAB=N`: runs a lab's steps against the current code and checks
that what the lab says a student sees is what they see.

A lab is Markdown. Its ```kubemn blocks are the commands a student types in the CLI;
an ```expect block after one holds regular expressions, one a line, each of which
must match the output of those commands. The line `<!-- manifests: FILE ... -->`
names the manifests the lab starts from (default: the built-in cluster).
"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABS = os.path.join(ROOT, "labs")
MARK = "=== kubemn lab block %d ==="


def lab_path(number):
    found = sorted(glob.glob(os.path.join(LABS, "%02d-*.md" % int(number))))
    if not found:
        raise SystemExit("no lab %s in %s" % (number, LABS))
    return found[0]


def parse_lab(text):
    """(manifest paths, [(commands, expected patterns)])."""
    manifests = []
    found = re.search(r"<!--\s*manifests:\s*(.*?)\s*-->", text)
    if found:
        manifests = found.group(1).split()
    blocks = []
    for kind, body in re.findall(r"```(kubemn|expect)\n(.*?)```", text, re.S):
        lines = [line for line in body.splitlines() if line.strip()]
        if kind == "kubemn":
            blocks.append((lines, []))
        elif blocks:
            blocks[-1][1].extend(lines)
    return manifests, blocks


def script(blocks):
    """The commands, with a marker echoed between blocks to split the output."""
    lines = []
    for index, (commands, _) in enumerate(blocks):
        lines.append("sh echo '%s'" % (MARK % index))
        lines += commands
    return "\n".join(lines) + "\n"


def outputs(transcript, count):
    parts = {}
    for index in range(count):
        start = transcript.find(MARK % index)
        end = transcript.find(MARK % (index + 1)) if index + 1 < count else len(transcript)
        parts[index] = transcript[start:end] if start >= 0 else ""
    return parts


def check(number):
    """Runs lab number; returns the list of problems (empty when the lab holds)."""
    path = lab_path(number)
    with open(path) as handle:
        manifests, blocks = parse_lab(handle.read())
    argv = [sys.executable, "-m", "topo.main", "run"]
    for manifest in manifests:
        argv += ["-f", os.path.join(ROOT, manifest)]
    result = subprocess.run(argv, input=script(blocks), capture_output=True, text=True,
                            cwd=ROOT, timeout=600)
    if result.returncode != 0:
        return ["kubemn exited %d: %s" % (result.returncode, result.stderr[-500:])]
    parts = outputs(result.stdout + result.stderr, len(blocks))
    problems = []
    for index, (commands, patterns) in enumerate(blocks):
        for pattern in patterns:
            if not re.search(pattern, parts[index], re.M):
                problems.append("%s, block %d (%s): expected /%s/ in:\n%s"
                                % (os.path.basename(path), index + 1, commands[0], pattern,
                                   parts[index][-1500:]))
    return problems


def main(argv):
    numbers = argv or [os.path.basename(p)[:2] for p in sorted(glob.glob(
        os.path.join(LABS, "[0-9][0-9]-*.md")))]
    failed = False
    for number in numbers:
        problems = check(number)
        print("lab %s: %s" % (number, "ok" if not problems else "FAILED"))
        for problem in problems:
            print("  " + problem)
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
