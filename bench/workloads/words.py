"""bench/run's CPython workload: walks a source tree, reads every file,
and counts identifiers, printing the 25 most common and a JSON summary.
File system calls (one open, fstat, read and close a file, a listing a
directory) and the interpreter's own work, in about equal parts."""
import collections, json, os, re, sys

root = sys.argv[1]
words = collections.Counter()
files = lines = 0
ident = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(filenames):
        with open(os.path.join(dirpath, name), "rb") as f:
            text = f.read().decode("utf-8", "replace")
        files += 1
        lines += text.count("\n")
        words.update(ident.findall(text))
for word, n in words.most_common(25):
    print(f"{n:7} {word}")
print(json.dumps({"files": files, "lines": lines, "distinct": len(words)}, sort_keys=True))
