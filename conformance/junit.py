"""What an e2e.test run says (pure): its JUnit report read into (test, result) rows,
and the table the README keeps. Ginkgo lists every spec of the suite in the report,
those its focus left out as skipped: a row is a spec that ran."""
import re
import xml.etree.ElementTree as ElementTree

PASSED, FAILED = "passed", "failed"
BEGIN = "<!-- conformance table: written by make conformance -->"
END = "<!-- end of the conformance table -->"


SOURCE_LINE = re.compile(r"^\S+\.go:\d+$")
TIMESTAMP = re.compile(r"^\w{3} +\d+ [\d:.]+: ")


def _reason(text):
    """A failure's message: its first line that is not a source location, and the
    error beneath it when it names one ("Last error: ...", "<error> occurred")."""
    lines = [TIMESTAMP.sub("", line.strip()) for line in (text or "").splitlines()]
    lines = [line for line in lines if line and not SOURCE_LINE.match(line)]
    last = [line for line in lines[1:] if line.startswith("Last error:")]
    # Gomega's "Unexpected error: <the error, dumped> <its text> occurred".
    if "occurred" in lines[1:]:
        last = [lines[lines.index("occurred", 1) - 1]]
    return "; ".join(lines[:1] + last[:1])[:240]


def results(xml_text):
    """(the number of specs the focus picked, [(test name, 'passed' or 'failed: why')]
    of those that ran, in report order). A suite whose set-up fails reports one row,
    BeforeSuite, for all of them."""
    suite = ElementTree.fromstring(xml_text)
    rows = []
    for case in suite.iter("testcase"):
        if case.find("skipped") is not None:
            continue
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        rows.append((case.get("name", "").strip(), PASSED if failure is None else
                     "%s: %s" % (FAILED, _reason(failure.text))))
    picked = int(suite.get("tests") or len(rows))
    return picked, rows


def passed(rows):
    """Whether every row passed (some on a second run)."""
    return all(result.startswith(PASSED) for _, result in rows)


def table(picked, rows, heading):
    """The Markdown table of rows, under a line that counts what passed of picked."""
    count = sum(1 for row in rows if passed([row]))
    lines = ["%s: **%d of %d passed**." % (heading, count, picked), "",
             "| test | result |", "| --- | --- |"]
    lines += ["| %s | %s |" % (name.replace("|", "\\|"), result.replace("|", "\\|"))
              for name, result in rows]
    return "\n".join(lines)


def replace_table(document, text):
    """document with the part between BEGIN and END replaced by text."""
    start, end = document.index(BEGIN) + len(BEGIN), document.index(END)
    return document[:start] + "\n" + text + "\n" + document[end:]
