"""The nginx image's entrypoint (its docker-entrypoint.sh): when it is to run nginx
(CMD `nginx -g "daemon off;"`), lays out the image's configuration, welcome page and
log links in the pod, then runs the machine's real nginx (Debian's); any other
command runs as given.

  python -m services.apps.nginx [--site default|hello-frontend] [nginx ARGS | COMMAND]

The image's layout: /etc/nginx/nginx.conf and conf.d/default.conf (port 80, root
/usr/share/nginx/html), the welcome page, access.log -> /dev/stdout and
error.log -> /dev/stderr (so `kubectl logs` shows each request). The site
hello-frontend is the docs' "Connect a Frontend to a Backend" frontend
(gcr.io/google-samples/hello-frontend): a proxy to the Service `hello`.
"""
import os
import sys

from services.apps.image_fs import lay_out

NGINX = "/usr/sbin/nginx"
DEBIAN_FILES = ("/etc/nginx/mime.types", "/usr/share/nginx/html/index.html")
ROOTS = ("/etc/nginx", "/usr/share/nginx/html", "/var/log/nginx", "/var/lib/nginx")

NGINX_CONF = """user  www-data;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/lib/nginx/nginx.pid;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
"""

SITES = {
    "default": """server {
    listen       80;
%s    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
""",
    "hello-frontend": """upstream hello {
    server hello;
}

server {
    listen 80;
%s
    location / {
        proxy_pass http://hello;
    }
}
""",
}

ERROR_PAGE = """<!DOCTYPE html>
<html>
<head>
<title>Error</title>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
</body>
</html>
"""


def image_files(site, debian, ipv6):
    """{path: content} of the image's layout; debian: the machine's mime.types and
    welcome page (the same page the nginx image serves)."""
    listen6 = "    listen  [::]:80;\n" if ipv6 else ""
    return {
        "/etc/nginx/nginx.conf": NGINX_CONF,
        "/etc/nginx/mime.types": debian["/etc/nginx/mime.types"],
        "/etc/nginx/conf.d/default.conf": SITES[site] % listen6,
        "/usr/share/nginx/html/index.html": debian["/usr/share/nginx/html/index.html"],
        "/usr/share/nginx/html/50x.html": ERROR_PAGE,
        "/var/log/nginx/access.log": ("symlink", "/dev/stdout"),
        "/var/log/nginx/error.log": ("symlink", "/dev/stderr"),
    }


def _read(paths):
    """The machine's files ("" for one a volume over its directory lacks: the image's
    file there is not laid out then)."""
    found = {}
    for path in paths:
        try:
            with open(path) as handle:
                found[path] = handle.read()
        except FileNotFoundError:
            found[path] = ""
    return found


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    site = "default"
    if argv[:1] == ["--site"]:
        site, argv = argv[1], argv[2:]
    if argv and os.path.basename(argv[0]) in ("nginx", "nginx-debug"):
        lay_out(ROOTS, lambda: image_files(site, _read(DEBIAN_FILES),
                                           os.path.exists("/proc/net/if_inet6")))
        sys.stderr.write("/docker-entrypoint.sh: Configuration complete; ready for start up\n")
        sys.stderr.flush()
        argv = [NGINX] + argv[1:]
    if not argv:
        sys.exit("nginx: nothing to run")
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
