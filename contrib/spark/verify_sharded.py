#!/usr/bin/env python3
"""Chain-sharded Trailproof verification as an Apache Spark (PySpark) job.

The three steps of docs/scale.md, with Spark scheduling the middle one:

1. ``trailproof verify --plan --format json INPUT...`` on the driver: which files each
   shard (normally one digest chain) needs; digests, signature metadata and keys are read
   in full, logs only by name and size.
2. One task per shard on the executors: ``trailproof verify --chain ID --plan-file PLAN
   --format json INPUT...`` reads only that shard's files (plus the key files). The plan
   is broadcast, so executors need no shared scratch space; they need the ``trailproof``
   binary (``--trailproof``, e.g. shipped with ``spark-submit --files`` or installed by a
   cluster init script) and the inputs at the same paths as the driver (EMR: an S3 mount
   such as Mountpoint for Amazon S3; Databricks: ``/dbfs/...`` or a Unity Catalog volume
   under ``/Volumes/...``).
3. ``trailproof merge`` of the shard reports on the driver: the report of one run.

Run::

    spark-submit --master yarn contrib/spark/verify_sharded.py \\
        --trailproof /opt/trailproof/bin/trailproof --out merged.json /mnt/audit-bucket

Exit status: the merged report's (0 valid, 1 invalid, 3 incomplete), 2 on usage or a failed
shard. The same job on Dask, run by ``cargo xtask test``, is ``contrib/dask/verify_sharded.py``;
this one is only syntax-checked there (PySpark needs a JRE and a ~300 MB download).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile


def run_trailproof(args):
    """Runs trailproof; returns (exit status, stdout bytes), raising on usage errors."""
    proc = subprocess.run(args, capture_output=True, check=False)
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(
            "%s exited %d: %s"
            % (" ".join(args), proc.returncode, proc.stderr.decode(errors="replace"))
        )
    return proc.returncode, proc.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="+", help="what `trailproof verify` takes")
    parser.add_argument("--trailproof", default="trailproof", help="the CLI binary")
    parser.add_argument("--keys", action="append", default=[], help="as verify --keys")
    parser.add_argument("--out", help="write the merged JSON report here")
    args = parser.parse_args()

    inputs = [os.path.abspath(p) for p in args.inputs]
    keys = [os.path.abspath(k) for k in args.keys]
    trailproof = args.trailproof

    _, plan_text = run_trailproof([trailproof, "verify", "--plan", "--format", "json"] + inputs)
    plan = json.loads(plan_text)
    # Biggest shards first, so a long chain does not start last.
    shards = sorted(plan["shards"], key=lambda s: -s["bytes"])
    shard_ids = [s["id"] for s in shards]

    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("trailproof-verify-sharded").getOrCreate()
    sc = spark.sparkContext
    plan_bc = sc.broadcast(plan_text.decode())
    key_args = [a for k in keys for a in ("--keys", k)]

    def verify_shard(shard_id):
        with tempfile.NamedTemporaryFile("w", suffix=".plan.json", delete=False) as f:
            f.write(plan_bc.value)
            plan_file = f.name
        try:
            _, out = run_trailproof([trailproof, "verify", "--chain", shard_id,
                                     "--plan-file", plan_file, "--format", "json"]
                                    + key_args + inputs)
            return out.decode()
        finally:
            os.unlink(plan_file)

    try:
        # One partition per shard: each task verifies one shard.
        reports = (sc.parallelize(shard_ids, max(1, len(shard_ids)))
                   .map(verify_shard)
                   .collect())
    except Exception as e:  # a failed task surfaces as a Py4J/Spark exception
        print("verify_sharded: a shard failed: %s" % e, file=sys.stderr)
        return 2
    finally:
        spark.stop()

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
    else:
        sys.stdout.write(merged.decode())
    return code


if __name__ == "__main__":
    sys.exit(main())
