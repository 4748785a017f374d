"""Checks that web pages bytegpt wrote are well-formed and self-contained.

    python3 tests/cli/html_check.py PAGE.html [PAGE2.html ...]

For each file: valid UTF-8, starts with <!DOCTYPE html>, every element
closed in order (a strict tag balance: HTML's void elements excepted,
self-closed SVG elements allowed), nothing loaded from elsewhere (no src=,
no <link>, no url(...), no http:// or https://), and the chart's JSON
parses. Prints one line per problem and exits 1 if there is any; used by
tests/unit/test_page.c and the page's shell tests."""
import html.parser
import json
import re
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Balance(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.json = [], [], None
        self._in_json = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "src" or (value and re.search(r"https?://|url\(", value)):
                self.problems.append(f"<{tag}> loads something: {name}={value!r}")
        if tag == "link":
            self.problems.append("<link> loads something")
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))
        self._in_json = tag == "script" and ("type", "application/json") in attrs

    def handle_startendtag(self, tag, attrs):
        for name, value in attrs:
            if name == "src" or (value and re.search(r"https?://|url\(", value)):
                self.problems.append(f"<{tag}/> loads something: {name}={value!r}")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"</{tag}> closes a void element at line {self.getpos()[0]}")
            return
        if not self.stack:
            self.problems.append(f"</{tag}> at line {self.getpos()[0]} closes nothing")
            return
        open_tag, pos = self.stack.pop()
        if open_tag != tag:
            self.problems.append(f"</{tag}> at line {self.getpos()[0]} closes <{open_tag}> of line {pos[0]}")
        self._in_json = False

    def handle_data(self, data):
        if self._in_json:
            self.json = data


def check(path):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return [f"not UTF-8: {e}"]
    problems = []
    if not text.startswith("<!DOCTYPE html>"):
        problems.append("does not start with <!DOCTYPE html>")
    if re.search(r"https?://", text):
        problems.append("names an http(s) address")
    p = Balance()
    p.feed(text)
    p.close()
    problems += p.problems
    problems += [f"<{tag}> of line {pos[0]} is never closed" for tag, pos in p.stack]
    if p.json is not None:
        try:
            json.loads(p.json)
        except ValueError as e:
            problems.append(f"the chart's JSON does not parse: {e}")
    return problems


def main():
    bad = 0
    for path in sys.argv[1:]:
        for problem in check(path):
            print(f"{path}: {problem}")
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
