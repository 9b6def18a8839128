"""A volume's files written as the kubelet's AtomicWriter writes them, so that a
container never reads half an update: the files go into a new hidden directory
(`..2026_12_03_15_04_05.` and a random part), the `..data` link turns to it in one rename,
and each top-level name the user sees is a link through `..data`; the old directory
goes last. `ls -la` in a pod shows the same shape as in Kubernetes."""
import os
import shutil
import tempfile
import time

DATA = "..data"


def _current(directory):
    try:
        return os.readlink(os.path.join(directory, DATA))
    except OSError:
        return None


def _holds(directory, files):
    """The directory holds exactly files ({path: (bytes, mode)})."""
    found = {}
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            found[os.path.relpath(path, directory)] = path
    if set(found) != set(files):
        return False
    for relative, (data, mode) in files.items():
        if os.stat(found[relative]).st_mode & 0o7777 != mode:
            return False
        with open(found[relative], "rb") as handle:
            if handle.read() != data:
                return False
    return True


def write_payload(directory, files) -> bool:
    """Makes directory show files ({relative path: (bytes, mode)}); True if it changed
    anything (an unchanged payload is left alone)."""
    os.makedirs(directory, exist_ok=True)
    current = _current(directory)
    if current is not None and _holds(os.path.join(directory, current), files):
        return False
    stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
    new = tempfile.mkdtemp(prefix=stamp, dir=directory)
    os.chmod(new, 0o755)
    for relative, (data, mode) in files.items():
        path = os.path.join(new, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
        os.chmod(path, mode)
    link = os.path.join(directory, "..data_tmp")
    with_link = os.path.basename(new)
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(with_link, link)
    os.rename(link, os.path.join(directory, DATA))
    shown = {relative.split("/", 1)[0] for relative in files}
    for name in shown:
        if not os.path.lexists(os.path.join(directory, name)):
            os.symlink(os.path.join(DATA, name), os.path.join(directory, name))
    for name in os.listdir(directory):
        if not name.startswith("..") and name not in shown:
            os.remove(os.path.join(directory, name))
    if current is not None:
        shutil.rmtree(os.path.join(directory, current), ignore_errors=True)
    return True
