"""Deployments (pure): pod names as Kubernetes makes them, and what to change so
that a Deployment has its replica count."""
from __future__ import annotations

import hashlib
import random
from typing import Collection

from topo.plan.model import DeploymentSpec, PodSpec, PodTemplate

# Kubernetes' alphabet for generated name suffixes: no vowels, no look-alikes.
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: PodTemplate) -> str:
    """The pod-template-hash: changes when the template does."""
    digest = hashlib.sha256(repr(template).encode()).digest()
    return "".join(SUFFIX_ALPHABET[b % len(SUFFIX_ALPHABET)] for b in digest[:10])


def replica_spec(deployment: DeploymentSpec, taken: Collection[str],
                 rng: random.Random = random) -> PodSpec:
    """A new pod for the Deployment, named <deployment>-<template hash>-<5 chars>,
    in its namespace. taken: the refs in use."""
    prefix = "%s-%s-" % (deployment.name, template_hash(deployment.template))
    while True:
        name = prefix + "".join(rng.choice(SUFFIX_ALPHABET) for _ in range(5))
        spec = PodSpec(name, deployment.template, owner=deployment.ref,
                       namespace=deployment.namespace)
        if spec.ref not in taken:
            return spec


def resolve_limit(value: int | str, replicas: int, round_up: bool) -> int:
    """maxSurge / maxUnavailable as a number of pods: a count, or a percentage of
    replicas (surge rounded up, unavailability down, as Kubernetes rounds them)."""
    if isinstance(value, str):
        share = replicas * int(value.rstrip("%"))
        return -(-share // 100) if round_up else share // 100
    return value


def rollout_changes(deployment: DeploymentSpec, owned: list[PodSpec], taken: Collection[str],
                    rng: random.Random = random) -> tuple[list[PodSpec], list[str]]:
    """(pod specs to create, pod refs to delete) for one step of the Deployment
    towards its template and replica count, as the deployment controller steps.

    owned: [(pod ref, PodSpec, created time, ready)]. Without pods of an older
    template, this is scaling (surplus pods go newest first). With them: RollingUpdate
    creates new pods up to replicas + maxSurge in all, and removes old pods (those not
    ready first) while at least replicas - maxUnavailable stay ready; Recreate
    removes every old pod first. Called again as pods become ready, it finishes the
    rollout."""
    current = [p for p in owned if p[1].template == deployment.template]
    old = [p for p in owned if p[1].template != deployment.template]
    replicas = deployment.replicas
    to_delete = []
    if not old or deployment.strategy == "Recreate":
        to_delete = [p[0] for p in old]
        surplus = len(current) - replicas
        if surplus > 0:
            newest_first = sorted(current, key=lambda p: p[2], reverse=True)
            to_delete += [p[0] for p in newest_first[:surplus]]
        create = max(0, -surplus)
    else:
        surge = resolve_limit(deployment.max_surge, replicas, True)
        unavailable = resolve_limit(deployment.max_unavailable, replicas, False)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        if len(current) > replicas:
            newest_first = sorted(current, key=lambda p: p[2], reverse=True)
            to_delete += [p[0] for p in newest_first[:len(current) - replicas]]
            current = newest_first[len(current) - replicas:]
        total = len(current) + len(old)
        create = max(0, min(replicas - len(current), replicas + surge - total))
        new_unready = len(current) - sum(1 for p in current if p[3]) + create
        removable = total + create - (replicas - unavailable) - new_unready
        # Old pods that are not ready go first; then the oldest.
        ranked = sorted(old, key=lambda p: (p[3], p[2]))
        unready_old = [p for p in ranked if not p[3]]
        to_delete += [p[0] for p in unready_old]
        removable -= len(unready_old)
        ready_old = [p for p in ranked if p[3]]
        to_delete += [p[0] for p in ready_old[:max(0, removable)]]
    to_create, taken = [], set(taken)
    for _ in range(create):
        spec = replica_spec(deployment, taken, rng)
        taken.add(spec.ref)
        to_create.append(spec)
    return to_create, to_delete
