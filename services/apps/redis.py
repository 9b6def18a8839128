"""The redis image's entrypoint: `redis-server` (its CMD) runs the machine's real
redis-server (Debian's) in the image's working directory /data, here a tmpfs over
/var/lib/redis in the pod, and, as the image's docker-entrypoint.sh does without a
configuration file, with protected mode off so that other pods may connect. Any
other command runs as given.

  python -m services.apps.redis [redis-server ARGS | COMMAND]
"""
import os
import sys

from services.apps.image_fs import lay_out

DATA = "/var/lib/redis"


def server_argv(args):
    """redis-server's argv for the image's arguments (a first argument that is a flag
    or a .conf file goes to redis-server, as the image's entrypoint does)."""
    if args and (args[0].startswith("-") or args[0].endswith(".conf")):
        args = ["redis-server"] + args
    if not args or os.path.basename(args[0]) != "redis-server":
        return None
    rest = args[1:]
    if not any(a.endswith(".conf") for a in rest):
        rest = rest + ["--protected-mode", "no"]
    return ["/usr/bin/redis-server"] + rest


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    server = server_argv(argv)
    if server is not None:
        lay_out((DATA,), dict)
        os.chdir(DATA)
        argv = server
    if not argv:
        sys.exit("redis: nothing to run")
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
