#!/usr/bin/env bash
# scripts/get_corpus.sh without the network: its argument errors, and the
# text work of get_corpus.js on small made-up inputs (a SWORD module, a
# dictd database, three texts cut into shards), whose shards bytegpt then
# splits as the library corpus's layout promises. Nothing is downloaded.
set -u
BG=$1 SRC=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
GC=$SRC/scripts/get_corpus.sh
JS=$SRC/scripts/get_corpus.js

# ---- Arguments ----

bash "$GC" no-such-corpus >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && ok || bad "an unknown corpus: exit $rc, want 2"
grep -q "^error: unknown corpus 'no-such-corpus'; known corpora: moby-dick sotu library linux$" "$tmp/err" \
    && ok || { bad "an unknown corpus: no error line naming the known ones"; cat "$tmp/err"; }
bash "$GC" library sotu >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && ok || bad "two names: exit $rc, want 2"
grep -q "^error: give one corpus name, not 2$" "$tmp/err" && ok || bad "two names: no error line"
bash "$GC" --help >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && grep -q "^usage: scripts/get_corpus.sh \[NAME\] .*library" "$tmp/out" \
    && ok || bad "--help: exit $rc, or no usage line naming library"

if ! command -v node >/dev/null 2>&1; then
    echo "node is not installed: the checks of get_corpus.js are left out"
    finish
    exit
fi

# ---- A SWORD module ----

# Two verses and a chapter heading in the layout get_corpus.js reads (one
# block, zText's 10-byte verse records), with a footnote, Strong's numbers,
# a heading and an entity to drop or keep; the third record points to the
# same text as the second, as a commentary's note on two verses does.
mkdir "$tmp/mod"
node -e '
    const fs = require("fs"), zlib = require("zlib"), dir = process.argv[1];
    const entries = [
        `<div sID="b1" type="book"/><milestone n="Genesis" type="x-usfm-h"/><title type="main">The First Book</title>`,
        `<chapter n="1" osisID="Gen.1" sID="Gen.1"/>`,
        `In the <w lemma="strong:H7225">beginning</w> God created.<note placement="foot">A note.</note>`,
        `Light &amp; dark. <div eID="p1" type="x-p"/>`,
    ];
    const block = Buffer.from(entries.join(""));
    const z = zlib.deflateSync(block);
    const bzs = Buffer.alloc(12);
    bzs.writeUInt32LE(0, 0); bzs.writeUInt32LE(z.length, 4); bzs.writeUInt32LE(block.length, 8);
    const records = [[0, 0], [0, 0]];
    let off = 0;
    for (const e of entries) { records.push([off, Buffer.byteLength(e)]); off += Buffer.byteLength(e); }
    records.push(records[records.length - 1]);
    const bzv = Buffer.alloc(10 * records.length);
    records.forEach(([o, n], i) => { bzv.writeUInt32LE(0, 10 * i); bzv.writeUInt32LE(o, 10 * i + 4); bzv.writeUInt16LE(n, 10 * i + 8); });
    fs.writeFileSync(dir + "/ot.bzs", bzs); fs.writeFileSync(dir + "/ot.bzv", bzv); fs.writeFileSync(dir + "/ot.bzz", z);
' "$tmp/mod"
node "$JS" sword "$tmp/mod" >"$tmp/sword.txt" 2>"$tmp/err" && ok || { bad "sword: failed"; cat "$tmp/err"; }
printf 'The First Book\n\nGenesis 1\n\nIn the beginning God created. Light & dark.\n' >"$tmp/sword.want"
cmp -s "$tmp/sword.txt" "$tmp/sword.want" && ok || { bad "sword: not the text wanted:"; cat "$tmp/sword.txt"; }
: >"$tmp/mod/ot.bzz"
node "$JS" sword "$tmp/mod" >/dev/null 2>"$tmp/err" && bad "sword: a broken module was read" || ok

# ---- A dictd database ----

printf '00-database-short\n     A Dictionary\n\nABILITY, n.  The natural equipment.   \n\n\n\nZOOLOGY, n.  The science.\n abcdefghijklmnopqrstuvwxyz\n' \
    | gzip -c >"$tmp/d.dict.dz"
node "$JS" dict "$tmp/d.dict.dz" >"$tmp/dict.txt" && ok || bad "dict: failed"
printf 'A Dictionary\n\nABILITY, n.  The natural equipment.\n\nZOOLOGY, n.  The science.\n' >"$tmp/dict.want"
cmp -s "$tmp/dict.txt" "$tmp/dict.want" && ok || { bad "dict: not the text wanted:"; cat "$tmp/dict.txt"; }

# ---- Shards ----

# Three texts of 60, 30 and 15 paragraphs (4,380, 2,190 and 1,125 bytes);
# with a target of 250 bytes a shard they are cut into 20, 10 and 10 parts
# (a multiple of ten near bytes / 250, at least ten): 40 shards, 4 held out.
for spec in big:60 mid:30 small:15; do
    name=${spec%:*}
    for i in $(seq 1 "${spec#*:}"); do
        printf '%s paragraph %03d: the whale ship sails on the deep sea, day after day.\n\n' "$name" "$i"
    done >"$tmp/$name.txt"
done
mkdir "$tmp/shards"
node "$JS" shard 250 "$tmp/shards" big="$tmp/big.txt" mid="$tmp/mid.txt" small="$tmp/small.txt" >"$tmp/list" 2>"$tmp/err" \
    && ok || { bad "shard: failed"; cat "$tmp/err"; }
n=$(ls "$tmp/shards" | wc -l)
[ "$n" -eq 40 ] && ok || bad "shard: $n shards, want 40 (20 + 10 + 10)"
held=$(ls "$tmp/shards" | LC_ALL=C sort | awk 'NR % 10 == 0' | tr '\n' ' ')
[ "$held" = "010_big-10.txt 020_mid-10.txt 030_small-10.txt 040_big-20.txt " ] && ok \
    || bad "shard: every tenth name is not a last part of ten, one per source: $held"
[ "$(awk '$3 == "validation"' "$tmp/list" | wc -l)" -eq 4 ] && ok || bad "shard: the list does not mark 4 shards as validation"
# No paragraph is lost, cut or repeated, and every part starts with one.
for spec in big:60 mid:30 small:15; do
    [ "$(cat "$tmp"/shards/*_"${spec%:*}"-* | grep -c .)" -eq "${spec#*:}" ] \
        && [ "$(cat "$tmp"/shards/*_"${spec%:*}"-* | sort -u | grep -c .)" -eq "${spec#*:}" ] \
        && ok || bad "shard: ${spec%:*}'s paragraphs are not all there, once each"
done
cat "$tmp"/shards/* | grep -v '^$' | grep -qv '^[a-z]* paragraph [0-9]*: .*day\.$' && bad "shard: a shard holds a cut paragraph" || ok
for f in "$tmp"/shards/*; do head -c 1 "$f"; done | grep -q '[^bms]' && bad "shard: a shard starts mid-paragraph" || ok
# bytegpt splits the folder as promised: 36 shards trained on, 4 held out.
gzip -9 -n "$tmp"/shards/*.txt
"$BG" info --corpus "$tmp/shards" >"$tmp/info" 2>&1
grep -q '^train .*(36 shards)' "$tmp/info" && grep -q '^validation .*(4 shards' "$tmp/info" \
    && ok || { bad "bytegpt info: not 36 training and 4 validation shards"; cat "$tmp/info"; }

finish
