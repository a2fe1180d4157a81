#!/usr/bin/python3
"""Adds up meson's test logs of several builds into the one closing line
"N passed, N failed" (skipped tests are counted apart)."""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    build = path.split("/")[0]
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        print(f"{build}: no test log ({e.strerror})")
        failed += 1
        continue
    for line in lines:
        try:
            t = json.loads(line)
        except ValueError:
            # a log cut short (a run killed mid-write) hides results
            print(f"FAILED: {build}: unreadable test log line")
            failed += 1
            continue
        result = t.get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
            print(f"skipped: {build} {t['name']}")
        else:
            failed += 1
            print(f"FAILED: {build} {t['name']} ({result})")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
