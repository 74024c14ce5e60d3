"""Print what `mutmut run` found (make mutation): how many mutants of nnlib the tests kill, and the survivors.

A mutant no test reaches ("no tests") counts as a survivor: nothing would notice that change either.
Exit status 1 when more than ``--target`` percent survive (default 5).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

MUTMUT = str(Path(sys.executable).with_name("mutmut"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", type=float, default=5.0, help="highest acceptable survival, in percent")
    args = parser.parse_args()
    subprocess.run([MUTMUT, "export-cicd-stats"], check=True, capture_output=True)
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
    survivors = stats["survived"] + stats["no_tests"]
    judged = stats["killed"] + stats["timeout"] + stats["segfault"] + stats["suspicious"] + survivors
    if not judged:
        print("no mutant was tested: run `mutmut run` first", file=sys.stderr)
        return 1
    rate = 100.0 * survivors / judged
    print(f"nnlib mutants: {stats['total']} generated, {judged} tested; killed {stats['killed']}, "
          f"timed out {stats['timeout']}, crashed {stats['segfault']}, suspicious {stats['suspicious']}, "
          f"survived {stats['survived']}, reached by no test {stats['no_tests']}, skipped {stats['skipped']}")
    print(f"survival rate: {rate:.1f} % of tested mutants (target < {args.target:g} %)")
    listing = subprocess.run([MUTMUT, "results"], capture_output=True, text=True)
    if listing.stdout.strip():
        print("survivors (`mutmut show NAME` prints one):")
        print(listing.stdout.rstrip())
    return 0 if rate < args.target else 1


if __name__ == "__main__":
    sys.exit(main())
