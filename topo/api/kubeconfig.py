"""The run's kubeconfig: where the API is and the bearer token it demands.

Written only into the run's directory, mode 0600, owned by the user who started
kubemn (the one behind sudo, if any); it goes with the run directory at teardown.
"""
import base64
import glob
import os
import secrets

import yaml

from topo.plan.naming import RUN_DIR_ROOT

FILE_NAME = "kubeconfig"
CONTEXT = "kubemn"


def new_token():
    return secrets.token_urlsafe(32)


def kubeconfig_text(server, token, ca_pem, namespace="default"):
    ca_data = base64.b64encode(ca_pem.encode()).decode()
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": CONTEXT, "cluster": {"server": server,
                                                   "certificate-authority-data": ca_data}}],
        "users": [{"name": CONTEXT, "user": {"token": token}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT,
                                                   "namespace": namespace}}],
        "current-context": CONTEXT}, sort_keys=False)


def write_private(path, text):
    """A new file only its owner reads (mode 0600), owned by the user who started
    kubemn (the one behind sudo, if any): it holds a token."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    owner = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if all(owner) and os.geteuid() == 0:
        os.chown(path, int(owner[0]), int(owner[1]))
    return path


def write_kubeconfig(run_dir, server, token, ca_path):
    with open(ca_path) as handle:
        ca_pem = handle.read()
    return write_private(os.path.join(run_dir, FILE_NAME), kubeconfig_text(server, token, ca_pem))


def active_kubeconfig():
    """The kubeconfig of the active run, or None."""
    found = sorted(glob.glob(os.path.join(RUN_DIR_ROOT, "*", FILE_NAME)),
                   key=os.path.getmtime)
    return found[-1] if found else None
