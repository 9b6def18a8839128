"""Part of an image's filesystem laid over the machine's, inside the pod: kubemn's
pods share the machine's files, so an image entrypoint that needs its own files
mounts a tmpfs over each of the image's directories in the pod's mount namespace
(private to the pod, gone with it) and writes them there. The machine's files stay
untouched."""
import os
import re
import subprocess

MARK = ".kubemn-image"


def lay_out(roots, make_files):
    """roots: directories (which exist on the machine) to cover; make_files() ->
    {path under a root: text, or ("symlink", target)}, called before anything is
    covered, so that it may read the machine's files. Done once per pod: a
    container started again finds the layout in place.

    The pod's volumes win over the image's files, as in Kubernetes: a root where a
    volume is mounted is left to it; one mounted below a root (a ConfigMap at
    /etc/nginx/conf.d) is held open before the root is covered, and bound again
    through its handle after."""
    mounted = mounts()
    roots = [root for root in roots if root not in dict(mounted)]
    if all(os.path.exists(os.path.join(root, MARK)) for root in roots):
        return
    files = {path: content for path, content in make_files().items()
             if any(_below(path, root) for root in roots)}
    below = {path: (os.open(path, os.O_PATH), read_only) for path, read_only in mounted
             if any(_below(path, root) for root in roots)}
    for root in roots:
        if not os.path.exists(os.path.join(root, MARK)):
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", root],
                           check=True)
    for path, content in files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.remove(path)
        if isinstance(content, tuple):
            os.symlink(content[1], path)
        else:
            with open(path, "w") as handle:
                handle.write(content)
    for path, (handle, read_only) in sorted(below.items()):
        if os.path.isdir("/proc/self/fd/%d" % handle):
            os.makedirs(path, exist_ok=True)
        elif not os.path.lexists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").close()
        # Not canonicalized: the kernel follows the handle to the volume itself (its
        # path would name the covered mount point).
        subprocess.run(["mount", "--no-canonicalize", "--bind", "/proc/self/fd/%d" % handle,
                        path], check=True, pass_fds=(handle,))
        if read_only:
            subprocess.run(["mount", "-o", "remount,bind,ro", path], check=True)
        os.close(handle)
    for root in roots:
        open(os.path.join(root, MARK), "w").close()


def _below(path, root):
    return path.startswith(root.rstrip("/") + "/")


def mounts():
    """[(mount point, read-only)] of the pod's volumes and its other mounts in this
    process's mount namespace, in order; not the overlays kubemn made a new mount
    point in (OVERLAY in topo/kubelet/pod_files.py: the image's own files take their
    place)."""
    found = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            source = fields[fields.index("-") + 2]
            if source == "kubemn-overlay":
                continue
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            found.append((point, "ro" in fields[5].split(",")))
    return found
