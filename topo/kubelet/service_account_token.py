"""A projected service account token (pure), shaped as the API server's TokenRequest
makes one: a JWT whose claims name the issuer, the audience, the service account and
the pod it is bound to, valid for its expirationSeconds. kubemn signs it with the
run's own key (HS256; Kubernetes signs with RS256): its API answers only the run's
own token, on the machine's loopback, which no pod can reach."""
import base64
import hashlib
import hmac
import json
import time

ISSUER = "https://kubernetes.default.svc.cluster.local"


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(key: bytes, pod: dict, audience: str, expiration: int, now=None) -> str:
    """The token of the pod's service account (pod: as stored) for audience (none: the
    API server's own), issued now and valid for expiration seconds."""
    now = int(time.time() if now is None else now)
    metadata, spec = pod["metadata"], pod.get("spec") or {}
    account = spec.get("serviceAccountName") or "default"
    claims = {
        "aud": [audience or ISSUER], "exp": now + expiration, "iat": now, "iss": ISSUER,
        "kubernetes.io": {"namespace": metadata["namespace"],
                          "pod": {"name": metadata["name"], "uid": metadata.get("uid", "")},
                          "serviceaccount": {"name": account}},
        "nbf": now, "sub": "system:serviceaccount:%s:%s" % (metadata["namespace"], account)}
    signing = "%s.%s" % (_segment(json.dumps({"alg": "HS256", "kid": "kubemn"}).encode()),
                         _segment(json.dumps(claims, separators=(",", ":")).encode()))
    signature = hmac.new(key, signing.encode(), hashlib.sha256).digest()
    return signing + "." + _segment(signature)
