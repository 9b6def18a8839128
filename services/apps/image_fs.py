"""Part of an image's filesystem laid over the machine's, inside the pod: kubemn's
pods share the machine's files, so an image entrypoint that needs its own files
mounts a tmpfs over each of the image's directories in the pod's mount namespace
(private to the pod, gone with it) and writes them there. The machine's files stay
untouched."""
import os
import subprocess

MARK = ".kubemn-image"


def lay_out(roots, make_files):
    """roots: directories (which exist on the machine) to cover; make_files() ->
    {path under a root: text, or ("symlink", target)}, called before anything is
    covered, so that it may read the machine's files. Done once per pod: a
    container started again finds the layout in place."""
    if all(os.path.exists(os.path.join(root, MARK)) for root in roots):
        return
    files = make_files()
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
    for root in roots:
        open(os.path.join(root, MARK), "w").close()
