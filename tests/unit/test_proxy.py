"""The proxy subresources' pure parts: NAME's scheme and port, and the links of an
HTML answer rewritten to go through the proxy again."""
from topo.api.proxy import rewrite_links, split_name


def test_a_name_carries_a_scheme_and_a_port():
    assert split_name("web") == ("http", "web", "")
    assert split_name("web:8080") == ("http", "web", "8080")
    assert split_name("https:web:tlsportname1") == ("https", "web", "tlsportname1")
    assert split_name(":web:") == ("http", "web", "")


def test_links_to_absolute_paths_are_prefixed_and_others_left_alone():
    prefix = "/api/v1/namespaces/lab/pods/web:1080/proxy"
    page = ('<a href="/rewriteme">test</a><img SRC=\'/logo.png\'>'
            '<a href="//cdn.example/x"></a><a href="http://example/y"></a><a href="z"></a>')
    assert rewrite_links(page, prefix) == (
        '<a href="%s/rewriteme">test</a><img SRC=\'%s/logo.png\'>'
        '<a href="//cdn.example/x"></a><a href="http://example/y"></a><a href="z"></a>'
        % (prefix, prefix))
