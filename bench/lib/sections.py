"""Rewrite one "## " section of a markdown file: from its heading to the next "## " heading
(appended at the end when the file has no such section). Shared by the bench scripts.

As a command: sections.py FILE HEADING < BODY   (BODY is the section without its heading)
"""
import sys


def replace_section(path, heading, section):
    """Replaces (or appends) the section starting at `heading` in the file at `path` with
    `section`, which starts with that heading."""
    text = open(path).read()
    start = text.find(heading + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        end = len(text) if end < 0 else end + 1
        text = text[:start] + section + ("\n" if end < len(text) else "") + text[end:]
    open(path, "w").write(text)


def read_section(path, heading):
    """The body of the section at `heading` (without the heading), or "" when there is none."""
    text = open(path).read()
    start = text.find(heading + "\n")
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(heading))
    return text[start + len(heading) + 1 : (len(text) if end < 0 else end)]


if __name__ == "__main__":
    path, heading = sys.argv[1], sys.argv[2]
    body = sys.stdin.read().strip("\n")
    replace_section(path, heading, f"{heading}\n\n{body}\n")
