"""make bench's docs/benchmarks.md: a new table, the notes written by hand kept."""
from bench.report import NOTES_HEADING, document

NOTES = NOTES_HEADING + "\n\nthe default notes\n"


def test_a_new_table_keeps_the_notes_of_the_file_it_replaces():
    previous = document("old run", "| old | table |", None, NOTES_HEADING + "\n\nhistory\n")
    written = document("new run", "| new | table |", previous, NOTES)
    assert written == "# kubemn benchmarks\n\nnew run\n\n| new | table |\n\n" \
        + NOTES_HEADING + "\n\nhistory\n"


def test_a_file_without_notes_gets_the_default_ones():
    assert document("run", "| t |", None, NOTES).endswith("the default notes\n")
    assert document("run", "| t |", "# a stray file\n", NOTES).endswith("the default notes\n")
