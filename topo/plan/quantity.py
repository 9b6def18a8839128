"""Kubernetes' resource quantities (pure): '500m', '128Mi', '2', '1G' as exact numbers."""
import re
from fractions import Fraction

QUANTITY = re.compile(r"^([+-]?[0-9.]+)([a-zA-Z]*)$")
SUFFIXES = {"": 1, "m": Fraction(1, 1000), "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9,
            "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18, "Ki": 2 ** 10, "Mi": 2 ** 20,
            "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}


class NotAQuantity(ValueError):
    pass


def quantity(text) -> Fraction:
    """'500m' -> 1/2, '128Mi' -> 134217728, '1e3' is not one kubemn reads."""
    match = QUANTITY.match(str(text).strip())
    if not match or match.group(2) not in SUFFIXES:
        raise NotAQuantity("%r is not a quantity" % (text,))
    try:
        return Fraction(match.group(1)) * SUFFIXES[match.group(2)]
    except ValueError:
        raise NotAQuantity("%r is not a quantity" % (text,)) from None
