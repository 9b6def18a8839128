"""Deployments (pure): pod names as Kubernetes makes them, and what to change so
that a Deployment has its replica count."""
import hashlib
import random

from topo.model import PodSpec

# Kubernetes' alphabet for generated name suffixes: no vowels, no look-alikes.
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template):
    """The pod-template-hash: changes when the template does."""
    digest = hashlib.sha256(repr(template).encode()).digest()
    return "".join(SUFFIX_ALPHABET[b % len(SUFFIX_ALPHABET)] for b in digest[:10])


def replica_spec(deployment, taken, rng=random):
    """A new pod for the Deployment, named <deployment>-<template hash>-<5 chars>,
    in its namespace. taken: the refs in use."""
    prefix = "%s-%s-" % (deployment.name, template_hash(deployment.template))
    while True:
        name = prefix + "".join(rng.choice(SUFFIX_ALPHABET) for _ in range(5))
        spec = PodSpec(name, deployment.template, owner=deployment.ref,
                       namespace=deployment.namespace)
        if spec.ref not in taken:
            return spec


def replica_changes(deployment, owned, taken, rng=random):
    """(pod specs to create, pod names to delete) for the Deployment.

    owned: [(pod ref, PodSpec, created time)] of the pods it has now. Pods of an
    older template are replaced; surplus pods go newest first, as the ReplicaSet
    controller's default ranking does for equal pods."""
    current = [p for p in owned if p[1].template == deployment.template]
    to_delete = [p[0] for p in owned if p[1].template != deployment.template]
    surplus = len(current) - deployment.replicas
    if surplus > 0:
        newest_first = sorted(current, key=lambda p: p[2], reverse=True)
        to_delete += [p[0] for p in newest_first[:surplus]]
    to_create, taken = [], set(taken)
    for _ in range(max(0, -surplus)):
        spec = replica_spec(deployment, taken, rng)
        taken.add(spec.ref)
        to_create.append(spec)
    return to_create, to_delete
