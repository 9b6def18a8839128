"""Running commands in a Mininet node's shell with their exit status checked.

Mininet's node.cmd() returns only the output; kubemn needs to know when a command
that changes the system failed, and say which.
"""
import subprocess

from topo.errors import KubemnError

RC_MARK = "__kubemn_rc="


def run(node, command):
    """Runs a shell command line in node; returns its output, raises on failure."""
    output = node.cmd("%s; echo %s$?" % (command, RC_MARK))
    body, _, tail = output.rpartition(RC_MARK)
    try:
        status = int(tail.strip())
    except ValueError:
        raise KubemnError("%s: lost track of command %r: %r" % (node.name, command, output))
    if status != 0:
        raise KubemnError("%s: %r failed (exit %d): %s"
                          % (node.name, command, status, " ".join(body.split())[-300:]))
    return body


def run_input(node, command, text):
    """Runs command (a string of words) in node's namespaces with text as its standard
    input, as nft -f - needs; raises on failure."""
    # node.popen: in its namespaces, on its server (over ssh for another's).
    process = node.popen(command.split(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    output, errors = process.communicate(text)
    if process.returncode != 0:
        raise KubemnError("%s: %r failed (exit %d): %s" % (
            node.name, command, process.returncode, " ".join(errors.split())[-300:]))
    return output
