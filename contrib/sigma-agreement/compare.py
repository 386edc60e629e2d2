#!/usr/bin/env python3
"""Agreement of Trailproof's Sigma matching with pySigma's reading of the same rules.

pySigma parses each rule (its modifiers applied: `contains` becomes wildcards, `windash` and
`base64offset` expand, `re` becomes a regular expression, `cidr` a network, ...) into a
condition tree; pySigma itself converts that tree into queries for other systems and has no
engine that runs it over events, so this script evaluates the tree over each event
(`evaluate`, with the semantics SIEM backends give: strings case-insensitive unless `cased`,
dotted field names into nested objects, a list matching when any element does, an object
compared as its compact JSON text, keywords searched in the whole record). Trailproof runs
the same rules over the same events (`trailproof report --format json --rules RULES EVENTS`)
and the findings say which events each rule matched.

Events: the records of the files given with --events (JSON, `Records` lists or JSON Lines),
plus, per rule, events generated from its own detections (with --generate): one satisfying
each selection, one satisfying all selections together, and a near miss of each (one value
changed), so that every rule meets events it matches and events it does not.

    python3 -m venv target/tools/py-sigma && target/tools/py-sigma/bin/pip install pysigma
    target/tools/py-sigma/bin/python contrib/sigma-agreement/compare.py \\
        --trailproof target/debug/trailproof --rules RULES_DIR/aws --generate aws \\
        --events testdata/fixtures/synthetic_aws

Prints per rule: loaded or unsupported (by which side, and why), the pairs agreeing, and every
disagreeing (rule, event) pair; then the totals. Exit 0 when every pair of every rule both
sides load agrees, 1 otherwise.
"""

import argparse
import copy
import gzip
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
)

MISSING = object()


# ------------------------------------------------------------------------------------------
# Evaluating pySigma's condition tree over one record.


def lookup(record, field):
    """Values of a dotted field name: nested objects first, a key holding dots as a fallback;
    lists on the way are searched element by element. MISSING when nothing is there."""

    def walk(node, parts):
        if not parts:
            return [node]
        if isinstance(node, list):
            return [v for e in node for v in walk(e, parts)]
        if not isinstance(node, dict):
            return []
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            if key in node:
                found = walk(node[key], parts[n:])
                if found:
                    return found
        return []

    found = walk(record, field.split("."))
    return found if found else MISSING


def text_of(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    if v is None:
        return ""
    return str(v)


def leaves(values):
    """A field's values as matched: a list matches when any element does (and as a whole)."""
    out = []
    for v in values:
        if isinstance(v, list):
            out.extend(v)
        out.append(v)
    return out


def match_value(value, candidates, record):
    """Whether one Sigma value matches one of a field's values (MISSING: the field is absent)."""
    if isinstance(value, SigmaExpansion):
        return any(match_value(v, candidates, record) for v in value.values)
    if isinstance(value, SigmaExists):
        return (candidates is not MISSING) == value.exists
    if isinstance(value, SigmaNull):
        return candidates is MISSING or any(c is None for c in candidates)
    if candidates is MISSING:
        return False
    values = leaves(candidates)
    if isinstance(value, SigmaFieldReference):
        other = lookup(record, value.field)
        if other is MISSING:
            return False
        return any(text_of(a).lower() == text_of(b).lower() for a in values for b in other)
    if isinstance(value, SigmaBool):
        return any(isinstance(c, bool) and c == value.boolean for c in values) or any(
            text_of(c).lower() == ("true" if value.boolean else "false") for c in values
        )
    if isinstance(value, SigmaNumber):
        for c in values:
            if isinstance(c, bool):
                continue
            try:
                if float(c) == float(value.number):
                    return True
            except (TypeError, ValueError):
                pass
        return False
    if isinstance(value, SigmaCompareExpression):
        ops = {
            "LT": lambda a, b: a < b,
            "LTE": lambda a, b: a <= b,
            "GT": lambda a, b: a > b,
            "GTE": lambda a, b: a >= b,
        }
        op = ops[value.op.name]
        for c in values:
            try:
                if not isinstance(c, bool) and op(float(c), float(value.number.number)):
                    return True
            except (TypeError, ValueError):
                pass
        return False
    if isinstance(value, SigmaCIDRExpression):
        for c in values:
            try:
                if ipaddress.ip_address(text_of(c)) in value.network:
                    return True
            except ValueError:
                pass
        return False
    if isinstance(value, SigmaRegularExpression):
        flags = 0
        for f in value.flags:
            flags |= SigmaRegularExpression.sigma_to_python_flags[f]
        rx = re.compile(str(value.regexp), flags)
        return any(rx.search(text_of(c)) for c in values)
    if isinstance(value, SigmaString):
        rx = re.compile(
            str(value.to_regex().regexp),
            0 if isinstance(value, SigmaCasedString) else re.IGNORECASE,
        )
        return any(rx.fullmatch(text_of(c)) for c in values if not isinstance(c, (dict, list)))
    raise Unsupported(f"value type {type(value).__name__}")


class Unsupported(Exception):
    pass


def evaluate(node, record, raw):
    if isinstance(node, ConditionAND):
        return all(evaluate(a, record, raw) for a in node.args)
    if isinstance(node, ConditionOR):
        return any(evaluate(a, record, raw) for a in node.args)
    if isinstance(node, ConditionNOT):
        return not evaluate(node.args[0], record, raw)
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return match_value(node.value, lookup(record, node.field), record)
    if isinstance(node, ConditionValueExpression):
        # A keyword: searched in the record's text.
        v = node.value
        if isinstance(v, SigmaString):
            rx = re.compile(str(v.to_regex().regexp), re.IGNORECASE)
            return rx.search(raw) is not None
        return text_of(getattr(v, "number", v)).lower() in raw.lower()
    raise Unsupported(f"condition node {type(node).__name__}")


# ------------------------------------------------------------------------------------------
# Generating events from a rule's detections.


def instance(value):
    """A field value that satisfies one Sigma value, or MISSING when none is easy to make."""
    if isinstance(value, SigmaExpansion):
        return instance(value.values[0]) if value.values else MISSING
    if isinstance(value, SigmaString):
        out = []
        for part in value.s:
            if isinstance(part, str):
                out.append(part)
            elif "single" in str(part).lower():
                out.append("x")
        return "".join(out)
    if isinstance(value, SigmaNumber):
        return value.number
    if isinstance(value, SigmaBool):
        return value.boolean
    if isinstance(value, SigmaNull):
        return None
    if isinstance(value, SigmaExists):
        return "present" if value.exists else MISSING
    if isinstance(value, SigmaCIDRExpression):
        return str(value.network.network_address + (1 if value.network.num_addresses > 1 else 0))
    if isinstance(value, SigmaCompareExpression):
        n = value.number.number
        return {"LT": n - 1, "LTE": n, "GT": n + 1, "GTE": n}[value.op.name]
    if isinstance(value, SigmaRegularExpression):
        # Simple patterns only: `.+`/`.*` become text, escapes their character; kept when
        # the result matches.
        pattern = str(value.regexp)
        text = re.sub(r"\\(.)", lambda m: "\0" + m.group(1), pattern)
        text = text.replace(".+", "x").replace(".*", "").strip("^$")
        text = re.sub("\0(.)", lambda m: m.group(1), text)
        flags = 0
        for f in value.flags:
            flags |= SigmaRegularExpression.sigma_to_python_flags[f]
        return text if re.search(pattern, text, flags) else MISSING
    return MISSING


def put(record, field, value):
    parts = field.split(".")
    node = record
    for p in parts[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = {}
            node[p] = nxt
        node = nxt
    if value is MISSING:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


def satisfy(detection, record):
    """Sets the fields of one detection (a selection) so that it holds, as far as it can."""
    items = getattr(detection, "detection_items", [])
    for item in items:
        if hasattr(item, "detection_items"):
            satisfy(item, record)
            continue
        if item.field is None or not item.value:
            continue
        linking = getattr(item.value_linking, "__name__", str(item.value_linking))
        if "AND" in linking and len(item.value) > 1 and all(isinstance(v, SigmaString) for v in item.value):
            # |all with wildcards: one text holding every value.
            put(record, item.field, " ".join(str(instance(v)) for v in item.value))
        else:
            put(record, item.field, instance(item.value[0]))


def near_miss(record, fields):
    miss = copy.deepcopy(record)
    for f in fields[:1]:
        v = lookup(miss, f)
        if v is MISSING:
            continue
        put(miss, f, text_of(v[0]) + "zz" if not isinstance(v[0], (int, float)) else v[0] + 7)
    return miss


AWS_BASE = {
    "eventVersion": "1.09",
    "userIdentity": {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE",
        "arn": "arn:aws:iam::111122223333:user/gen",
        "accountId": "111122223333",
        "userName": "gen",
    },
    "eventTime": "2024-05-01T00:00:00Z",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "DescribeInstances",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.9",
    "userAgent": "aws-cli/2.15.0",
    "requestParameters": None,
    "responseElements": None,
    "eventType": "AwsApiCall",
    "recipientAccountId": "111122223333",
}


def generate(rule, provider, n0):
    if provider != "aws":
        raise SystemExit("--generate: only `aws` events are generated")
    out = []
    dets = rule.detection.detections
    merged = copy.deepcopy(AWS_BASE)
    for name, det in dets.items():
        rec = copy.deepcopy(AWS_BASE)
        satisfy(det, rec)
        satisfy(det, merged)
        fields = [i.field for i in getattr(det, "detection_items", []) if getattr(i, "field", None)]
        out.append(rec)
        out.append(near_miss(rec, fields))
        # Variants that separate exact, wildcard and case-insensitive matching, and lists.
        for vary in (str.upper, lambda t: "pre-" + t + "-suf", lambda t: [t, "other"]):
            v = copy.deepcopy(rec)
            for f in fields:
                cur = lookup(v, f)
                if cur is not MISSING and isinstance(cur[0], str):
                    put(v, f, vary(cur[0]))
            out.append(v)
    out.append(merged)
    out.append(copy.deepcopy(AWS_BASE))
    for i, r in enumerate(out):
        r["eventID"] = str(uuid.UUID(int=n0 + i))
        r["eventTime"] = "2024-05-01T%02d:%02d:00Z" % ((n0 + i) // 60 % 24, (n0 + i) % 60)
    return out


# ------------------------------------------------------------------------------------------


def read_events(paths):
    """Records of JSON files (`Records` lists, arrays, objects or JSON Lines, gzip or not)."""
    out = []
    for p in paths:
        files = [p] if os.path.isfile(p) else [
            os.path.join(d, f) for d, _, fs in sorted(os.walk(p)) for f in sorted(fs)
        ]
        for f in files:
            data = open(f, "rb").read()
            if data[:2] == b"\x1f\x8b":
                try:
                    data = gzip.decompress(data)
                except OSError:
                    continue
            try:
                docs = [json.loads(data)]
            except ValueError:
                try:
                    docs = [json.loads(l) for l in data.splitlines() if l.strip()]
                except ValueError:
                    continue
            for d in docs:
                recs = d.get("Records") if isinstance(d, dict) else d
                if isinstance(recs, list):
                    out.extend(r for r in recs if isinstance(r, dict) and "eventID" in r)
                elif isinstance(d, dict) and "eventID" in d:
                    out.append(d)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trailproof", required=True)
    ap.add_argument("--rules", required=True, help="folder of Sigma rules (.yml)")
    ap.add_argument("--events", nargs="*", default=[], help="files or folders of records")
    ap.add_argument("--generate", choices=["aws"], help="add events made from each rule")
    ap.add_argument("--keep", help="write the event file here")
    args = ap.parse_args()

    rules = []
    for f in sorted(os.listdir(args.rules)):
        if not f.endswith((".yml", ".yaml")):
            continue
        path = os.path.join(args.rules, f)
        text = open(path, encoding="utf-8").read()
        try:
            rule = SigmaRule.from_yaml(text)
            tree = [c.parsed for c in rule.detection.parsed_condition]
            rules.append((f, rule, tree, None))
        except Exception as e:  # pySigma refuses the rule: reported, not compared
            rules.append((f, None, None, f"{type(e).__name__}: {e}"))

    events = read_events(args.events)
    if args.generate:
        n = 1 << 20
        for f, rule, tree, err in rules:
            if rule is not None:
                gen = generate(rule, args.generate, n)
                n += len(gen)
                events.extend(gen)
    seen, unique = set(), []
    for e in events:
        if e["eventID"] not in seen:
            seen.add(e["eventID"])
            unique.append(e)
    events = unique

    with tempfile.TemporaryDirectory() as tmp:
        ev_file = args.keep or os.path.join(tmp, "events.json")
        with open(ev_file, "w", encoding="utf-8") as fh:
            json.dump({"Records": events}, fh, separators=(",", ":"))
        out = subprocess.run(
            [args.trailproof, "report", "--format", "json", "--rules", args.rules, ev_file],
            capture_output=True,
        )
        if out.returncode not in (0, 1, 3):
            sys.exit(f"trailproof failed: {out.stderr.decode()}")
        report = json.loads(out.stdout)
    if report.get("events") != len(events):
        sys.exit(f"trailproof loaded {report.get('events')} of {len(events)} events: {out.stderr.decode()[:2000]}")

    matched = {}
    for f in report.get("findings", []):
        r = f.get("rule", {})
        if r.get("type") != "sigma":
            continue
        for ev in f.get("evidence", []):
            matched.setdefault(os.path.basename(r.get("source", "")), set()).add(ev["event_id"])
    unsupported = {}
    for d in report.get("sigma_diagnostics", []):
        src = os.path.basename(d.get("source") or d.get("path") or d.get("file") or "")
        unsupported.setdefault(src, []).append(d.get("message") or json.dumps(d))

    total_pairs = agree_pairs = loaded = both = agreeing_rules = 0
    print(f"{len(rules)} rules, {len(events)} events")
    for f, rule, tree, err in rules:
        ours = unsupported.get(f)
        if err:
            print(f"{f}: pySigma refuses it ({err}); trailproof: {'unsupported: ' + '; '.join(ours) if ours else 'loaded'}")
            continue
        loaded += 1
        if ours:
            print(f"{f}: trailproof: unsupported: {'; '.join(ours)}")
            continue
        both += 1
        mine = matched.get(f, set())
        diffs = []
        n_match = 0
        try:
            for e in events:
                raw = json.dumps(e, separators=(",", ":"), ensure_ascii=False)
                ref = any(evaluate(t, e, raw) for t in tree)
                n_match += ref
                got = e["eventID"] in mine
                total_pairs += 1
                if ref == got:
                    agree_pairs += 1
                else:
                    diffs.append((e["eventID"], ref, got))
        except Unsupported as u:
            print(f"{f}: this script cannot evaluate it ({u})")
            continue
        if not diffs:
            agreeing_rules += 1
        print(f"{f}: {len(events) - len(diffs)}/{len(events)} agree ({n_match} match per pySigma)")
        for eid, ref, got in diffs[:5]:
            e = next(x for x in events if x["eventID"] == eid)
            print(f"    {eid}: pySigma {'matches' if ref else 'does not match'}, trailproof {'matches' if got else 'does not'}: {json.dumps(e)[:400]}")
    print(
        f"\nrules: {len(rules)}; pySigma loads {loaded}; both load {both}; all pairs agree on {agreeing_rules} of {both}; "
        f"pairs agreeing: {agree_pairs} of {total_pairs}"
    )
    sys.exit(0 if agree_pairs == total_pairs else 1)


if __name__ == "__main__":
    main()
