"""Runs the Python package's tests (unittest) and prints one line `N passed, N failed`; with
`--json FILE` also writes {"passed": N, "failed": N} there. Skipped tests count as failed: every
test is meant to run. Exits non-zero when any failed.

    /usr/bin/python3 clients/python/tests/run.py [--json FILE] [-k PATTERN]
"""
import argparse
import json
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--json', help='write the counts to this file')
    parser.add_argument('-k', dest='patterns', action='append', help='only tests whose name contains this')
    args = parser.parse_args()
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [f'*{p}*' for p in args.patterns]
    suite = loader.discover(str(HERE), pattern='test_*.py', top_level_dir=str(HERE))
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stderr).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.skipped) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed
    if args.json:
        Path(args.json).write_text(json.dumps({'passed': passed, 'failed': failed}) + '\n')
    print(f'{passed} passed, {failed} failed')
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
