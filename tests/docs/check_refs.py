#!/usr/bin/env python3
"""Checks that the repository's references resolve inside the repository.

Usage: check_refs.py SOURCE_ROOT

Scans the tracked text files of SOURCE_ROOT (git ls-files; without git, a
walk of the tree that skips .git and build* directories) and reports:

  (a) citations of documents that are not part of the repository (the old
      private specification, benchmark and design notes, the team's shared
      folder);
  (b) section citations such as "docs/model.md §2" (or "model.md §2", or a
      Markdown link to a .md file followed by a section sign) whose file
      does not exist or has no "## 2." heading; in docs/*.md, a bare
      section number refers to the document itself and is checked there;
  (c) relative Markdown links [text](path) and [text](path#anchor) in .md
      files whose target does not exist (and, for a .md target, whose
      anchor matches no heading);
  (d) repository paths (docs/, tests/, src/, include/, capi/, examples/)
      ending in a file extension, written in .md files, that exist neither
      from the source root nor from the file's own folder.
      Paths with globs or placeholders are skipped: '*', '...', '<', '{',
      or an all-upper-case segment such as TARGET or NAME.

Each problem is printed as "file:line: message". Exit status: 0 when every
reference resolves, 1 when some do not, 2 on a usage error.
"""

import os
import re
import subprocess
import sys

# Data files without prose: fuzz inputs and replay inputs/expected outputs.
SKIP_PREFIXES = ("tests/fuzz/corpus/", "tests/fuzz/regressions/")
SKIP_DATA = re.compile(r"^tests/replay/[^/]+\.(jsonl|expected)$")

# (a) Documents outside the repository. The patterns are assembled from
# pieces so that this file does not cite them itself.
FORBIDDEN = [
    (re.compile(r"\bSPEC" + r"\.md"), "cites the private specification file"),
    (re.compile(r"\bSPEC" + r"[ \t]*§"), "cites a section of the private specification"),
    (re.compile(r"\bBENCH" + r"\.md"), "cites the private benchmark notes"),
    (re.compile(r"\bDESIGN" + r"\.md"), "cites the private design notes"),
    (re.compile("/work" + "/shared"), "cites the team's shared folder"),
    (re.compile(r"\.\./" + "shared"), "cites the team's shared folder"),
    (re.compile(r"(?<![\w/.-])notes/[\w.-]+\.md"), "cites a notes file outside the repository"),
]

# (b) "FILE.md §N", "FILE.md §N-§M", "[text](FILE.md) §N". Between the file
# and the section sign: blanks, line breaks and comment leaders.
SECTION = r"§[ \t]*(\d+)(?:[ \t]*[-–][ \t]*§?[ \t]*(\d+))?"
FILE_SECTION = re.compile(
    r"(?:\]\(([^()\s#]+\.md)(?:#[^)\s]*)?\)|(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md))"
    r"(?:[ \t\r\n]|//|/\*|\*|#)*" + SECTION
)
BARE_SECTION = re.compile(SECTION)
NUMBERED_HEADING = re.compile(r"^##[ \t]+(\d+)\.", re.M)

# (c) Markdown links and images.
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

# (d) Repository paths with an extension.
PATH = re.compile(
    r"(?<![\w./<>-])((?:docs|tests|src|include|capi|examples)/[\w./*<>{},+-]*?\.[A-Za-z0-9]+)"
    r"(?![\w/*<>{}-]|\.[A-Za-z0-9])"
)
PLACEHOLDER_SEGMENT = re.compile(r"^[A-Z][A-Z0-9_]*$")


def list_files(root):
    """Tracked (and untracked, not ignored) files, relative to root."""
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            check=True,
            capture_output=True,
        ).stdout
        files = sorted({f for f in out.decode("utf-8", "surrogateescape").split("\0") if f})
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(
            d for d in dirnames if d != ".git" and not (rel_dir == "." and d.startswith("build"))
        )
        for name in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            files.append(rel.replace(os.sep, "/"))
    return sorted(files)


def read_text(path):
    """The file's text, or None for a binary or unreadable file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def fenced_spans(text):
    """Offsets [start, end) of fenced code blocks in Markdown."""
    spans, start = [], None
    pos = 0
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            if start is None:
                start = pos
            else:
                spans.append((start, pos + len(line)))
                start = None
        pos += len(line)
    if start is not None:
        spans.append((start, len(text)))
    return spans


def inside(spans, offset):
    return any(a <= offset < b for a, b in spans)


def slug(heading):
    """The anchor GitHub gives a heading."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())
    text = text.lower()
    text = "".join(c for c in text if c.isalnum() or c in " _-")
    return text.replace(" ", "-")


class Checker:
    def __init__(self, root):
        self.root = root
        self.problems = []
        self.checked = 0
        self.cache = {}

    def problem(self, rel, line, message):
        self.problems.append((rel, line, message))

    def exists(self, rel):
        return os.path.exists(os.path.join(self.root, rel))

    def text_of(self, rel):
        if rel not in self.cache:
            self.cache[rel] = read_text(os.path.join(self.root, rel)) or ""
        return self.cache[rel]

    def sections(self, rel):
        return {int(n) for n in NUMBERED_HEADING.findall(self.text_of(rel))}

    def anchors(self, rel):
        seen, result = {}, set()
        for m in re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", self.text_of(rel), re.M):
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            result.add(base if n == 0 else f"{base}-{n}")
        return result

    def resolve(self, citing, name):
        """The repository path a cited file name means, or None."""
        here = os.path.dirname(citing)
        candidates = [os.path.join(here, name), name]
        if "/" not in name:
            candidates.append(os.path.join("docs", name))
        for c in candidates:
            c = os.path.normpath(c).replace(os.sep, "/")
            if not c.startswith("../") and self.exists(c):
                return c
        return None

    def check_sections(self, rel, line, target, first, last, shown):
        self.checked += 1
        have = self.sections(target)
        for n in {first, last} - {None}:
            if int(n) not in have:
                self.problem(rel, line, f"{shown} §{n}: {target} has no '## {n}.' heading")

    def check_file(self, rel):
        text = read_text(os.path.join(self.root, rel))
        if text is None:
            return
        is_md = rel.endswith(".md")
        code = fenced_spans(text) if is_md else []

        # (a)
        for number, line in enumerate(text.splitlines(), 1):
            for pattern, message in FORBIDDEN:
                m = pattern.search(line)
                if m:
                    self.problem(rel, number, f"'{m.group(0)}' {message}: cite docs/ instead")

        # (b)
        cited = []
        for m in FILE_SECTION.finditer(text):
            cited.append((m.start(), m.end()))
            if inside(code, m.start()):
                continue
            name = m.group(1) or m.group(2)
            line = line_of(text, m.start())
            target = self.resolve(rel, name)
            if target is None:
                self.checked += 1
                self.problem(rel, line, f"{name} §{m.group(3)}: no such file")
                continue
            self.check_sections(rel, line, target, m.group(3), m.group(4), name)
        if is_md and rel.startswith("docs/"):
            for m in BARE_SECTION.finditer(text):
                if inside(cited, m.start()) or inside(code, m.start()):
                    continue
                self.check_sections(rel, line_of(text, m.start()), rel, m.group(1), m.group(2),
                                    "section")

        if not is_md:
            return

        # (c)
        for m in LINK.finditer(text):
            if inside(code, m.start()):
                continue
            target = m.group(1)
            if SCHEME.match(target):
                continue
            self.checked += 1
            line = line_of(text, m.start())
            path, _, anchor = target.partition("#")
            if path:
                full = path.lstrip("/") if path.startswith("/") else os.path.join(
                    os.path.dirname(rel), path)
                full = os.path.normpath(full).replace(os.sep, "/")
                if full.startswith("../") or not self.exists(full):
                    self.problem(rel, line, f"link to {target}: no such file")
                    continue
            else:
                full = rel
            if anchor and full.endswith(".md") and anchor not in self.anchors(full):
                self.problem(rel, line, f"link to {target}: no heading with anchor #{anchor}")

        # (d)
        for m in PATH.finditer(text):
            path = m.group(1)
            if any(s in path for s in ("*", "...", "<", ">", "{", "}")):
                continue
            local = os.path.normpath(os.path.join(os.path.dirname(rel), path)).replace(os.sep, "/")
            if self.exists(path) or self.exists(local):
                self.checked += 1
                continue
            stems = [seg.split(".")[0] for seg in path.split("/")]
            if any(PLACEHOLDER_SEGMENT.match(s) for s in stems if s):
                continue
            self.checked += 1
            self.problem(rel, line_of(text, m.start()), f"path {path}: no such file")

    def run(self):
        for rel in list_files(self.root):
            if rel.startswith(SKIP_PREFIXES) or SKIP_DATA.match(rel):
                continue
            if not os.path.isfile(os.path.join(self.root, rel)):
                continue
            self.check_file(rel)
        return [f"{rel}:{line}: {message}" for rel, line, message in sorted(self.problems)]


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: check_refs.py SOURCE_ROOT", file=sys.stderr)
        return 2
    checker = Checker(os.path.abspath(argv[1]))
    problems = checker.run()
    for p in problems:
        print(p)
    if problems:
        print(f"references: {len(problems)} problem(s) ({checker.checked} checked)")
        return 1
    print(f"references: all resolve ({checker.checked} checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
