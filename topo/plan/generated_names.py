"""The names the API server generates (pure): generateName's suffix, a template's
hash, in Kubernetes' alphabet for them (no vowels, no look-alikes)."""

SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
