"""Error messages stay one readable line however many objects they concern."""
from topo.errors import some_names


def test_a_few_names_are_all_shown_and_many_are_counted():
    assert some_names(["a", "b"]) == "a, b"
    assert some_names("p%d" % i for i in range(5000)) == \
        "p0, p1, p2, p3, p4, p5, p6, p7, p8, p9 and 4990 more"
