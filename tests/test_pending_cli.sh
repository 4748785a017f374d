#!/usr/bin/env bash
# A command that is not built yet (bytegpt sweep) says so: one line
# "error: ...", exit 2, nothing on stdout. --help and -h show its usage,
# and no other argument does: it once looked at the third character of
# every argument starting with '-', which for the argument "-" is past
# its end (the next argument's first byte), so that `sweep - hello`
# printed the usage. The ASan build runs this script too.
set -u
BG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "  FAIL: $*"; }

# expect_pending NAME ARGS...: the "not built yet" error and exit 2.
expect_pending() {
    local name=$1
    shift
    "$BG" sweep "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    local rc=$?
    if [ $rc -ne 2 ]; then bad "$name: exit $rc, want 2"; cat "$tmp/stdout" "$tmp/stderr"; return; fi
    if [ "$(wc -l <"$tmp/stderr")" -ne 1 ] || ! grep -q "^error: 'bytegpt sweep' is not built yet" "$tmp/stderr"; then
        bad "$name: stderr is not one 'not built yet' line:"; cat "$tmp/stderr"; return
    fi
    if [ -s "$tmp/stdout" ]; then bad "$name: wrote to stdout:"; head -3 "$tmp/stdout"; return; fi
    ok
}

# expect_usage NAME ARGS...: the usage on stdout and exit 0.
expect_usage() {
    local name=$1
    shift
    "$BG" sweep "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    local rc=$?
    [ $rc -eq 0 ] && grep -q "^usage: bytegpt sweep" "$tmp/stdout" && [ ! -s "$tmp/stderr" ] && ok ||
        { bad "$name: exit $rc, want the usage and 0"; cat "$tmp/stdout" "$tmp/stderr"; }
}

expect_pending "no arguments"
expect_pending "a lone dash" -
expect_pending "a lone dash before a word starting with h" - hello
expect_pending "a flag with h third" --hx
expect_pending "a real flag" --corpus x.txt --time-budget 2m
expect_usage "--help" --help
expect_usage "-h" -h
expect_usage "--help after other flags" --corpus x.txt --help

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
