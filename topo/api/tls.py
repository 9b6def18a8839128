"""The API's TLS certificate, made afresh for each run: kubectl and client-go send
a bearer token only over TLS. A self-signed certificate for 127.0.0.1, trusted
through the kubeconfig's certificate-authority-data; the key stays in the run's
directory, mode 0600."""
import os
import ssl
import subprocess

from services.apps.http_server import self_signed_argv
from topo.errors import KubemnError


def make_certificate(directory):
    """(certificate path, key path), made with openssl."""
    cert, key = os.path.join(directory, "api.crt"), os.path.join(directory, "api.key")
    old_umask = os.umask(0o077)
    try:
        result = subprocess.run(self_signed_argv(cert, key, "kubemn"), capture_output=True,
                                text=True, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise KubemnError("openssl is missing: run `make deps` (Debian package openssl)") \
            from None
    finally:
        os.umask(old_umask)
    if result.returncode != 0:
        raise KubemnError("openssl could not make the API's certificate: %s"
                          % (result.stderr.strip().splitlines() or ["?"])[-1])
    return cert, key


def server_context(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context
