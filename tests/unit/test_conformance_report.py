"""make conformance's report (pure): the specs that ran, their results, the table."""
from conformance.junit import BEGIN, END, replace_table, results, table

REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite tests="3" failures="1" errors="0" time="10.5">
  <testcase name="[sig-network] Services should serve a basic endpoint from pods  [Conformance]"
            classname="Kubernetes e2e suite" time="5.1"></testcase>
  <testcase name="[sig-network] DNS should provide DNS for services  [Conformance]"
            classname="Kubernetes e2e suite" time="3.2">
    <failure type="Failure">timed out waiting for the condition</failure>
  </testcase>
  <testcase name="[sig-storage] Volumes should store data" classname="Kubernetes e2e suite"
            time="0"><skipped></skipped></testcase>
</testsuite>
"""


SETUP_FAILED = """<?xml version="1.0" encoding="UTF-8"?>
  <testsuite name="Kubernetes e2e suite" tests="32" failures="32" errors="0" time="0.6">
      <testcase name="BeforeSuite" classname="Kubernetes e2e suite" time="0.6">
          <failure type="Failure">/src/test/e2e/e2e.go:76&#xA;Dec  2 16:02:18.195: Error \
waiting for all pods to be running and ready&#xA;/src/e2e.go:79</failure>
      </testcase>
  </testsuite>
"""


def test_the_specs_that_ran_are_rows_and_the_ones_the_focus_left_out_are_not():
    assert results(REPORT) == (3, [
        ("[sig-network] Services should serve a basic endpoint from pods  [Conformance]",
         "passed"),
        ("[sig-network] DNS should provide DNS for services  [Conformance]",
         "failed: timed out waiting for the condition")])


def test_a_set_up_that_fails_counts_every_picked_spec_as_not_passed_and_says_why():
    picked, rows = results(SETUP_FAILED)
    assert table(picked, rows, "e2e").splitlines()[0] == "e2e: **0 of 32 passed**."
    assert rows == [("BeforeSuite",
                     "failed: Error waiting for all pods to be running and ready")]


def test_the_table_counts_what_passed_and_replaces_the_readmes():
    text = table(*results(REPORT), "e2e")
    assert text.splitlines()[0] == "e2e: **1 of 3 passed**."
    assert "| [sig-network] DNS should provide DNS for services  [Conformance] | failed: " \
        "timed out waiting for the condition |" in text
    document = "before\n%s\nold table\n%s\nafter\n" % (BEGIN, END)
    replaced = replace_table(document, text)
    assert "old table" not in replaced and replaced.startswith("before\n" + BEGIN)
    assert replaced.endswith(END + "\nafter\n") and "1 of 3 passed" in replaced


def test_one_tests_focus_escapes_what_gos_regexp_reads_as_operators():
    from conformance.__main__ import exact
    assert exact("[sig-network] Proxy version v1 should proxy (a pod) 1+1 [Conformance]") == \
        r"\[sig-network\] Proxy version v1 should proxy \(a pod\) 1\+1 \[Conformance\]"


def test_a_stopped_test_is_reported_with_the_step_it_was_waiting_in(tmp_path):
    from conformance.__main__ import last_step
    log = tmp_path / "e2e.log"
    log.write_text("STEP: Creating a kubernetes client\nINFO: x\n"
                   "STEP: looking for the results for each expected name from probers\n"
                   "INFO: Unable to read wheezy_udp@...\n")
    assert last_step(str(log)) == "looking for the results for each expected name from probers"
    log.write_text("nothing yet\n")
    assert last_step(str(log)) == "before its first step"


def test_an_unexpected_error_is_said_by_its_own_text_not_its_dump():
    report = """<testsuite tests="1"><testcase name="t"><failure type="Failure">x.go:94
Dec  2 21:57:05.685: Unexpected error:
    &lt;*errors.StatusError | 0x7f0804bf2c0&gt;: {
        ErrStatus: {Code: 422},
    }
    NetworkPolicy "deny-ingress" is invalid: spec: Required value
occurred
x.go:106</failure></testcase></testsuite>"""
    assert results(report)[1] == [("t", 'failed: Unexpected error:; NetworkPolicy '
                                   '"deny-ingress" is invalid: spec: Required value')]


def test_a_test_that_passed_on_its_second_run_counts_and_says_so():
    from conformance.junit import passed
    rows = [("a", "passed"), ("b", "passed on a second run (the first failed: x)")]
    assert passed(rows) and "**2 of 2 passed**" in table(2, rows, "run")
    assert not passed(rows + [("c", "failed: y")])
