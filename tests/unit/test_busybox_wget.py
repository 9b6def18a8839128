"""busybox's wget options, bundled as busybox's getopt takes them (-qO-)."""
import importlib.machinery
import importlib.util
import os

import pytest

PATH = os.path.join(os.path.dirname(__file__), "..", "..", "services", "apps", "busybox",
                    "wget")


@pytest.fixture(scope="module")
def wget():
    loader = importlib.machinery.SourceFileLoader("busybox_wget", PATH)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name,
                                                                             loader))
    loader.exec_module(module)
    return module


@pytest.mark.parametrize("argv", [["-qO", "-", "web"], ["-qO-", "web"], ["-q", "-O-", "web"]])
def test_bundled_options(wget, argv):
    opts, urls = wget.parse(argv)
    assert (opts["quiet"], opts["output"], urls) == (True, "-", ["web"])


def test_timeout_and_spider(wget):
    opts, _ = wget.parse(["--spider", "--timeout=1", "nginx"])
    assert opts["spider"] and opts["timeout"] == 1.0
    assert wget.parse(["-T", "2", "x"])[0]["timeout"] == 2.0


def test_an_unknown_option_is_refused_as_busybox_refuses_it(wget, capsys):
    with pytest.raises(SystemExit) as caught:
        wget.parse(["--frobnicate", "x"])
    assert caught.value.code == 1
    assert capsys.readouterr().err == "wget: unrecognized option '--frobnicate'\n"
