#!/usr/bin/env python3
"""Baseline for `benches/small_files.rs`: a straightforward check of a CloudTrail export.

It checks the same contract as `trailproof verify` on the generated export (formats §1):
for every digest, the SHA256withRSA signature from its `head-object` sidecar over the
string-to-sign, with the key chosen by fingerprint from `list-public-keys.json`; the link to
the previous digest (hash of its inflated content and its signature); and for every log it
lists, the SHA-256 of the log's first gzip member. zlib, hashlib and OpenSSL (through
`cryptography`) do the work; one thread, no tricks. Exit status 0 if everything verifies.

Usage: verify_export.py EXPORT_DIR
"""

import base64
import hashlib
import json
import os
import sys
import zlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def first_member(data):
    """The inflated first gzip member (what CloudTrail hashes)."""
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)


def main(root):
    paths = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            full = os.path.join(dirpath, name)
            paths[os.path.relpath(full, root)] = full

    keys = {}
    for rel, full in paths.items():
        if rel.endswith("list-public-keys.json"):
            with open(full, "rb") as f:
                for entry in json.load(f)["PublicKeyList"]:
                    der = base64.b64decode(entry["Value"])
                    keys[hashlib.md5(der).hexdigest()] = serialization.load_der_public_key(der)

    digests = {}
    bad = 0
    logs = 0
    for rel, full in paths.items():
        if "_CloudTrail-Digest_" not in rel or not rel.endswith(".json.gz"):
            continue
        with open(full, "rb") as f:
            content = first_member(f.read())
        d = json.loads(content)
        sha = hashlib.sha256(content).hexdigest()
        with open(full + ".head-object.json", "rb") as f:
            sig = json.load(f)["Metadata"]["signature"]
        to_sign = "%s\n%s/%s\n%s\n%s" % (
            d["digestEndTime"],
            d["digestS3Bucket"],
            d["digestS3Object"],
            sha,
            d["previousDigestSignature"] or "null",
        )
        try:
            keys[d["digestPublicKeyFingerprint"]].verify(
                bytes.fromhex(sig), to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, KeyError, ValueError):
            bad += 1
        digests[d["digestS3Object"]] = (d, sha, sig)
        for log in d["logFiles"]:
            logs += 1
            try:
                with open(os.path.join(root, log["s3Object"]), "rb") as f:
                    if hashlib.sha256(first_member(f.read())).hexdigest() != log["hashValue"]:
                        bad += 1
            except OSError:
                bad += 1

    for d, _, _ in digests.values():
        prev = d["previousDigestS3Object"]
        if prev is None:
            continue
        found = digests.get(prev)
        if found is None or found[1] != d["previousDigestHashValue"] or found[2] != d["previousDigestSignature"]:
            bad += 1

    print("%d digests, %d logs, %d problems" % (len(digests), logs, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
