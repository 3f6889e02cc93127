#!/usr/bin/env python3
"""Counts test cases from Bazel runs: `count_test_cases.py BEP.json...`.

Each argument is a --build_event_json_file of one `bazel test` run. For every
test target in it, the test.xml Bazel recorded (gtest's, node's JUnit, or the
one Bazel writes for other tests) gives the cases; a target that failed without
a failing case in its XML (a crash, a timeout, a build failure) counts as one
failed case, so nothing that broke can hide. Prints one line per failure and,
last, `N passed, M failed`. Exit status 1 if anything failed.
"""
import json
import os
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET


def xml_counts(path):
    """(passed, failed, failed case names) from a JUnit XML file."""
    root = ET.parse(path).getroot()
    passed = failed = 0
    names = []
    for case in root.iter("testcase"):
        if case.get("status") == "notrun" or case.find("skipped") is not None:
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            names.append("%s.%s" % (case.get("classname", ""), case.get("name", "")))
        else:
            passed += 1
    return passed, failed, names


def main(paths):
    passed = failed = 0
    failures = []
    for bep in paths:
        label_of_run = os.path.basename(bep).rsplit(".", 1)[0]
        results = {}  # label -> (status, xml path) of the last attempt
        broken = set()  # labels that failed to build or were aborted
        with open(bep) as f:
            for line in f:
                event = json.loads(line)
                eid = event.get("id", {})
                if "testResult" in eid:
                    label = eid["testResult"]["label"]
                    tr = event.get("testResult", {})
                    xml = None
                    for out in tr.get("testActionOutput", []):
                        if out.get("name") == "test.xml":
                            xml = urllib.parse.urlparse(out["uri"]).path
                    results[label] = (tr.get("status", "NO_STATUS"), xml)
                elif "targetCompleted" in eid:
                    aborted = event.get("aborted")
                    if aborted and aborted.get("reason") != "SKIPPED":  # skipped = incompatible
                        broken.add(eid["targetCompleted"]["label"])
                    elif "completed" in event and not event["completed"].get("success", False):
                        broken.add(eid["targetCompleted"]["label"])
                elif "buildFinished" in eid:
                    label_of_run = os.path.basename(bep).rsplit(".", 1)[0]
        for label, (status, xml) in sorted(results.items()):
            p = f_ = 0
            names = []
            if xml:
                try:
                    p, f_, names = xml_counts(xml)
                except (OSError, ET.ParseError) as e:
                    names = ["(unreadable test.xml: %s)" % e]
            if status != "PASSED" and f_ == 0:
                f_ = 1
                names = names or ["(%s)" % status]
            passed += p
            failed += f_
            failures += ["%s: %s %s" % (label_of_run, label, n) for n in names if f_]
        for label in sorted(broken - set(results)):
            failed += 1
            failures.append("%s: %s (failed to build)" % (label_of_run, label))
    for line in failures:
        print("FAILED " + line)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
