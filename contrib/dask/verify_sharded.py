#!/usr/bin/env python3
"""Chain-sharded Trailproof verification on Dask distributed.

The three steps of docs/scale.md, with Dask scheduling the middle one:

1. ``trailproof verify --plan --format json INPUT...`` on the client: which files each
   shard (normally one digest chain) needs. It reads digests, signature metadata and keys
   in full, logs only by name and size.
2. One task per shard on the workers: ``trailproof verify --chain ID --plan-file PLAN
   --format json INPUT...``, which reads only that shard's files (plus the key files).
   The plan travels with the task, so workers need no shared scratch space; they do need
   the ``trailproof`` binary and the inputs at the same paths as the client (a shared or
   mounted file system, e.g. an S3 mount or a synced copy).
3. ``trailproof merge`` of the shard reports on the client: the report of one run.

Without ``--scheduler`` a ``LocalCluster`` is started (``--workers`` processes, one thread
each). With ``--check`` the merged report is compared with ``trailproof verify`` run on
all inputs at once in this process (notes compared in a fixed order); this is what
``cargo xtask test`` runs. Exit status: the merged report's (0 valid, 1 invalid,
3 incomplete), 2 on usage or a failed shard, 4 when ``--check`` finds a difference.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def run_trailproof(args):
    """Runs trailproof; returns (exit status, stdout bytes), raising on usage errors."""
    proc = subprocess.run(args, capture_output=True, check=False)
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(
            "%s exited %d: %s"
            % (" ".join(args), proc.returncode, proc.stderr.decode(errors="replace"))
        )
    return proc.returncode, proc.stdout


def verify_shard(trailproof, shard_id, plan_text, keys, inputs):
    """One task: verify one shard on a worker; returns its JSON report (text)."""
    with tempfile.NamedTemporaryFile("w", suffix=".plan.json", delete=False) as f:
        f.write(plan_text)
        plan_file = f.name
    try:
        args = [trailproof, "verify", "--chain", shard_id, "--plan-file", plan_file]
        args += ["--format", "json"]
        for k in keys:
            args += ["--keys", k]
        _, out = run_trailproof(args + inputs)
        return out.decode()
    finally:
        os.unlink(plan_file)


def canonical(report):
    """The report with notes in a fixed order, as JSON text."""
    report["notes"].sort(key=lambda n: (n["path"], n["message"], n["severity"]))
    return json.dumps(report, indent=1, sort_keys=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="+", help="what `trailproof verify` takes")
    parser.add_argument("--trailproof", default="trailproof", help="the CLI binary")
    parser.add_argument("--keys", action="append", default=[], help="as verify --keys")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers")
    parser.add_argument("--out", help="write the merged JSON report here")
    parser.add_argument("--check", action="store_true",
                        help="compare with `trailproof verify` on all inputs at once")
    args = parser.parse_args()

    # Absolute paths: workers may run elsewhere; report paths are named from the inputs'
    # own names, so they do not change.
    inputs = [os.path.abspath(p) for p in args.inputs]
    keys = [os.path.abspath(k) for k in args.keys]
    trailproof = args.trailproof
    if os.path.sep in trailproof:
        trailproof = os.path.abspath(trailproof)

    started = time.monotonic()
    _, plan_text = run_trailproof([trailproof, "verify", "--plan", "--format", "json"] + inputs)
    plan = json.loads(plan_text)
    shard_ids = [s["id"] for s in plan["shards"]]
    planned = time.monotonic()

    # Imported here so that `--help` works without Dask.
    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(verify_shard, [trailproof] * len(shard_ids), shard_ids,
                             [plan_text.decode()] * len(shard_ids),
                             [keys] * len(shard_ids), [inputs] * len(shard_ids),
                             pure=False)
        reports = client.gather(futures)
    except RuntimeError as e:
        print("verify_sharded: a shard failed: %s" % e, file=sys.stderr)
        return 2
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    verified = time.monotonic()

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, text in enumerate(reports):
            path = os.path.join(tmp, "shard-%d.json" % i)
            with open(path, "w") as f:
                f.write(text)
            paths.append(path)
        code, merged = run_trailproof([trailproof, "merge", "--format", "json"] + paths)
    if args.out:
        with open(args.out, "wb") as f:
            f.write(merged)
    print("verify_sharded: %d shard(s): plan %.1f s, verify %.1f s, merge %.1f s; verdict %s"
          % (len(shard_ids), planned - started, verified - planned,
             time.monotonic() - verified, json.loads(merged)["verdict"]), file=sys.stderr)

    if args.check:
        whole_code, whole = run_trailproof([trailproof, "verify", "--format", "json"]
                                           + [a for k in keys for a in ("--keys", k)] + inputs)
        if canonical(json.loads(whole)) != canonical(json.loads(merged)) or whole_code != code:
            print("verify_sharded: the merged report differs from one run on all inputs",
                  file=sys.stderr)
            return 4
        print("verify_sharded: merged report equals one run on all inputs", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
