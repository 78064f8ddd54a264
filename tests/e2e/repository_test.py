"""The repository stands on its own, and its test output reads in a terminal.

A user's clone has nothing beside it: no file may reach outside the
repository for fixtures, the bench kit or the Go peer. And ctest pads every
line to its longest test name, so names stay short enough for 100 columns.
"""
import os
import re
import subprocess
import unittest

from seiguard_e2e import SOURCE

BUILD_DIR = os.environ.get("BUILD_DIR", os.path.join(SOURCE, "build"))
# ctest prints "123/245 Test #123: NAME ....   Passed    0.02 sec".
MAX_TEST_NAME = 56


def tracked_files():
    out = subprocess.run(["git", "-C", SOURCE, "ls-files", "-z"], capture_output=True, check=True).stdout
    return [f for f in out.decode().split("\0") if f]


class Repository(unittest.TestCase):
    def test_nothing_refers_to_a_folder_beside_the_clone(self):
        # A relative path up to a "shared" folder, written in pieces so that
        # this file is no hit itself.
        outside = re.compile(r"\.\./" + "shared" + r"\b|\.\./\.\./" + "shared")
        hits = []
        for f in tracked_files():
            if f.startswith("tests/data/corpus/"):
                continue  # third-party data, read only
            try:
                with open(os.path.join(SOURCE, f), encoding="utf-8") as fh:
                    for n, line in enumerate(fh, 1):
                        if outside.search(line):
                            hits.append("%s:%d: %s" % (f, n, line.strip()))
            except (UnicodeDecodeError, FileNotFoundError):
                continue
        self.assertEqual(hits, [], "files that reach outside the repository:\n" + "\n".join(hits))

    def test_what_the_tests_and_benchmarks_need_is_inside(self):
        for path in ["tests/fixtures/seinode/seinode-pod-legacy.review.json",
                     "tests/fixtures/k8s-api/README.md",
                     "tests/bench/kit/run.sh", "tests/bench/kit/compare.sh",
                     "tests/bench/kit/httplib-ceiling/ceiling.cc", "tests/bench/kit/nginx/nginx.conf.in",
                     "tests/bench/kit/json-ceiling/json_ceiling.cpp",
                     "tests/bench/peers/go-webhook/main.go", "tests/bench/peers/null-webhook/main.go",
                     "tests/data/corpus/NOTICE"]:
            self.assertTrue(os.path.isfile(os.path.join(SOURCE, path)), path)

    def test_test_names_fit_a_100_column_terminal(self):
        if not os.path.isdir(BUILD_DIR):
            self.skipTest("no build directory at %s" % BUILD_DIR)
        out = subprocess.run(["ctest", "-N"], cwd=BUILD_DIR, capture_output=True, text=True, check=True).stdout
        names = [m.group(1) for m in re.finditer(r"Test +#\d+: (.+)$", out, re.M)]
        self.assertGreater(len(names), 100)
        long = sorted((n for n in names if len(n) > MAX_TEST_NAME), key=len, reverse=True)
        self.assertEqual(long, [], "test names over %d characters" % MAX_TEST_NAME)


if __name__ == "__main__":
    unittest.main()
