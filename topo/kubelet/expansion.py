"""Kubernetes' expansion of a container's command and args (pure): `$(VAR)` becomes the
value of the container's variable VAR (its own env, then the Services'), an unknown
one stays as written, and `$$` is a `$` (the e2e suite writes `$$(getent ...)` for
the shell's command substitution)."""


def expand(text, variables):
    out, i = [], 0
    while i < len(text):
        if text[i] == "$" and text[i + 1:i + 2] == "$":
            out.append("$")
            i += 2
            continue
        if text[i] == "$" and text[i + 1:i + 2] == "(":
            end = text.find(")", i + 2)
            if end != -1:
                name = text[i + 2:end]
                out.append(variables[name] if name in variables else text[i:end + 1])
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def expand_all(texts, variables):
    return tuple(expand(text, variables) for text in texts)
