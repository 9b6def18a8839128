"""agnhost, the Kubernetes e2e suite's test image: its subcommands, each kubemn's
faithful rewrite of the real one (agnhost's ENTRYPOINT is /agnhost, its CMD
`pause`). An unknown subcommand ends as agnhost's does: an error, exit status 1.

  python -m services.apps.agnhost SUBCOMMAND [flags]
"""
import importlib
import sys

SUBCOMMANDS = {
    "netexec": "services.apps.netexec",
    "serve-hostname": "services.apps.serve_hostname",
    "liveness": "services.apps.liveness",
    "porter": "services.apps.porter",
    "test-webserver": "services.apps.test_webserver",
    "pause": "services.apps.pause",
    "connect": "services.apps.connect",
    # module:function, for the small ones that share a module
    "dns-suffix": "services.apps.resolver_files:dns_suffix",
    "dns-server-list": "services.apps.resolver_files:dns_server_list",
    "etc-hosts": "services.apps.resolver_files:etc_hosts",
}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in SUBCOMMANDS:
        what = argv[0] if argv else ""
        sys.stderr.write('Error: unknown command "%s" for "agnhost"\n'
                         "Run 'agnhost --help' for usage.\n" % what)
        return 1
    module, _, function = SUBCOMMANDS[argv[0]].partition(":")
    return getattr(importlib.import_module(module), function or "main")(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
