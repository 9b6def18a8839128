"""Files that others read while kubemn rewrites them."""
import os


def replace_file(path, text):
    """Rewrites path atomically: a reader sees the old text or the new, never part."""
    temporary = path + ".new"
    with open(temporary, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)
