// get_corpus.js: the text work of scripts/get_corpus.sh, which fetches and
// checks the packages and then runs this with node to turn what they hold
// into plain text and shards. Not meant to be run by hand, but it can be:
//
//   node scripts/get_corpus.js moby DATA_DIR        Moby-Dick's parts in reading order
//   node scripts/get_corpus.js sotu DATA_DIR        the State of the Union addresses, by year
//   node scripts/get_corpus.js sword MODULE_DIR     a SWORD Bible or commentary module
//   node scripts/get_corpus.js dict FILE.dict.dz    a dictd dictionary's entries
//   node scripts/get_corpus.js tree SOURCE_DIR      the C files of a source tree
//   node scripts/get_corpus.js shard TARGET OUT_DIR NAME=FILE...
//
// The first five print text ending in one newline on stdout; shard
// cuts each FILE into parts (about TARGET bytes for a large one) and writes
// them, the sources interleaved, as OUT_DIR/NNN_NAME-JJ.txt (see shard()).
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

function fail(msg) {
    console.error("error: " + msg);
    process.exit(1);
}

// ---- Plain texts from the npm packages ----

// data/file_list.json lists Moby-Dick's parts in reading order: contents,
// etymology, extracts, chapter_1 ... chapter_135, epilogue. Each part ends in
// one newline; a blank line goes between parts.
function mobyText(dir) {
    const parts = JSON.parse(fs.readFileSync(path.join(dir, "file_list.json"), "utf8"));
    const texts = parts.map((p) => fs.readFileSync(path.join(dir, p), "utf8").replace(/\s+$/, "") + "\n");
    return texts.join("\n");
}

// One address per file, data/YEAR_president_party.txt, each one line of
// text; the year first makes name order chronological. A blank line goes
// between addresses.
function sotuText(dir) {
    const names = fs.readdirSync(dir).filter((n) => /^\d{4}_.*\.txt$/.test(n)).sort();
    if (names.length === 0) fail("no addresses in " + dir);
    return names.map((n) => fs.readFileSync(path.join(dir, n), "utf8").trim() + "\n").join("\n");
}

// ---- SWORD modules (Debian's sword-text-* and sword-comm-* packages) ----

// A compressed SWORD module keeps the Old and New Testaments apart, each in
// three files. For zText and zCom (extensions bzs, bzv, bzz):
//   .bzs  one 12-byte record per block: offset and size in .bzz, size
//         after inflating (three little-endian uint32)
//   .bzz  the blocks, each compressed by zlib
//   .bzv  one 10-byte record per verse key in canonical order (the module's
//         heading, each book's and chapter's heading, then the verses):
//         block number and offset in the inflated block (uint32), size (uint16)
// zCom4 (czs, czv, czz) is the same with a uint32 size, 12-byte records.
// Walking the verse records in order gives the text in reading order. A
// commentary note on several verses is one entry that each of them points
// to, so an entry already seen is skipped.
function swordEntries(dir) {
    const entries = [];
    for (const testament of ["ot", "nt"]) {
        const wide = fs.existsSync(path.join(dir, testament + ".czv"));
        const [idx, blk, dat] = wide ? ["czv", "czs", "czz"] : ["bzv", "bzs", "bzz"];
        const file = (ext) => path.join(dir, testament + "." + ext);
        if (!fs.existsSync(file(idx))) continue;
        const verses = fs.readFileSync(file(idx));
        const blockIndex = fs.readFileSync(file(blk));
        const data = fs.readFileSync(file(dat));
        const blocks = [];
        for (let at = 0; at + 12 <= blockIndex.length; at += 12) {
            const off = blockIndex.readUInt32LE(at);
            const size = blockIndex.readUInt32LE(at + 4);
            const inflated = blockIndex.readUInt32LE(at + 8);
            let block;
            try {
                block = zlib.inflateSync(data.subarray(off, off + size));
            } catch (e) {
                fail(`${file(dat)}: block ${blocks.length} does not inflate: ${e.message}`);
            }
            if (block.length !== inflated) fail(`${file(dat)}: block ${blocks.length} inflates to ${block.length} bytes, not ${inflated}`);
            blocks.push(block);
        }
        const record = wide ? 12 : 10;
        const seen = new Set();
        for (let at = 0; at + record <= verses.length; at += record) {
            const b = verses.readUInt32LE(at);
            const off = verses.readUInt32LE(at + 4);
            const size = wide ? verses.readUInt32LE(at + 8) : verses.readUInt16LE(at + 8);
            if (size === 0) continue;
            const key = `${b}:${off}:${size}`;
            if (seen.has(key)) continue;
            seen.add(key);
            if (b >= blocks.length || off + size > blocks[b].length) fail(`${file(idx)}: record ${at / record} points outside the text`);
            entries.push(blocks[b].subarray(off, off + size).toString("utf8"));
        }
    }
    if (entries.length === 0) fail("no SWORD module text in " + dir);
    return entries;
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

// The modules are marked up in OSIS (XML). What a reader of a printed page
// sees is kept: the words, headings as paragraphs of their own, paragraph
// and poetry-line breaks, and "Genesis 1" before each chapter of a book
// that names itself (the Bible; the commentaries carry their own headings).
// Footnotes and cross-references (<note>), Strong's numbers (attributes of
// <w>) and the rest of the markup are dropped.
function osisText(entries) {
    let book = "";
    const out = [];
    for (let s of entries) {
        s = s.replace(/<note\b[^>]*\/>/g, "").replace(/<note\b[^>]*>[\s\S]*?<\/note>/g, "");
        s = s.replace(/<(\/?)(\w+)\b([^>]*?)(\/?)>/g, (tag, close, name, attrs, empty) => {
            const attr = (a) => (attrs.match(new RegExp(`\\b${a}="([^"]*)"`)) || [])[1];
            switch (name) {
                case "milestone":
                    if (attr("type") === "x-usfm-h") book = attr("n") || "";
                    return attr("type") === "x-p" ? "\n\n" : "";
                case "chapter":
                    return attr("sID") && book ? `\n\n${book} ${attr("n")}\n\n` : "\n\n";
                case "div":
                    return attr("type") === "x-milestone" ? "" : "\n\n";
                case "title":
                case "lg":
                case "list":
                case "p":
                case "table":
                case "lb":
                    return "\n\n";
                case "l":
                case "item":
                case "row":
                    return close || attr("eID") ? "" : "\n";
                case "cell":
                    return " ";
                case "q":
                    return attr("marker") || "";
                default:
                    return "";
            }
        });
        out.push(s);
    }
    let text = out.join(" ").replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e) => {
        if (e[0] === "#") return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
        return ENTITIES[e] !== undefined ? ENTITIES[e] : m;
    });
    return tidy(text);
}

// Spaces and tabs run together into one space, no line starts or ends with
// one, at most one blank line in a row, and one newline at the end.
function tidy(text) {
    return text
        .replace(/[ \t\r\f\v]+/g, " ")
        .replace(/ ?\n ?/g, "\n")
        .replace(/\n{3,}/g, "\n\n")
        .trim() + "\n";
}

// ---- dictd databases (Debian's dict-* packages) ----

// FILE.dict.dz is gzip (dictzip adds random access, which is not needed
// here): the entries one after another, each starting with its headword,
// in the dictionary's order. The database's own entries (00-database-short,
// -url, -info: title, source and notice) come first and are kept, without
// the lines that only name them; dictfmt's alphabet line at the end goes.
function dictText(file) {
    const text = zlib.gunzipSync(fs.readFileSync(file)).toString("utf8");
    const lines = text.split("\n").filter((l) => !/^00-?database-/.test(l) && !/^ ?abcdefghijklmnopqrstuvwxyz$/.test(l));
    return lines.join("\n").replace(/[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n").trim() + "\n";
}

// ---- Source trees (Debian's linux-source package) ----

// Every C file (*.c, *.h) under dir, in byte order of their paths, each
// ending in a newline, one after another, written to stdout as it goes.
// Symbolic links are not followed; a file holding a NUL byte (none in
// Linux) is left out, since bytegpt refuses NUL as not text.
function writeAll(buf) {
    for (let at = 0; at < buf.length; ) at += fs.writeSync(1, buf, at);
}

function treeText(dir) {
    const files = [];
    const walk = (rel) => {
        for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const r = rel ? rel + "/" + e.name : e.name;
            if (e.isDirectory()) walk(r);
            else if (e.isFile() && /\.[ch]$/.test(e.name)) files.push(r);
        }
    };
    walk("");
    files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let skipped = 0;
    for (const r of files) {
        const text = fs.readFileSync(path.join(dir, r));
        if (text.length === 0) continue;
        if (text.indexOf(0) >= 0) {
            skipped++;
            continue;
        }
        writeAll(text);
        if (text[text.length - 1] !== 0x0a) writeAll(Buffer.from("\n"));
    }
    if (files.length === skipped) fail("no C files in " + dir);
    if (skipped > 0) console.error(`left out ${skipped} files that hold a NUL byte`);
}

// ---- Shards ----

// split(buf, n): the text cut into n parts of about equal size, each cut at
// the paragraph break (blank line) nearest to an even division, or at a line
// break where no blank line is near. Every part starts at the start of a
// paragraph and ends in one newline. It works on bytes, so text that is not
// UTF-8 (a Latin-1 comment in C source) passes through unchanged.
function split(buf, n, name) {
    const cuts = [0];
    for (let i = 1; i < n; i++) {
        const ideal = Math.round((i * buf.length) / n);
        const last = cuts[cuts.length - 1];
        let cut = -1;
        for (const sep of ["\n\n", "\n"]) {
            const cands = [buf.lastIndexOf(sep, ideal), buf.indexOf(sep, ideal)]
                .filter((p) => p > last)
                .map((p) => p + sep.length);
            if (cands.length === 0) continue;
            cut = cands.reduce((a, b) => (Math.abs(a - ideal) <= Math.abs(b - ideal) ? a : b));
            if (Math.abs(cut - ideal) < buf.length / n / 4) break;
        }
        if (cut <= last || cut >= buf.length) fail(`${name}: cannot cut ${buf.length} bytes into ${n} parts at line breaks`);
        cuts.push(cut);
    }
    cuts.push(buf.length);
    const isSpace = (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
    const parts = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
        let a = cuts[i];
        let b = cuts[i + 1];
        while (a < b && buf[a] === 0x0a) a++;
        while (b > a && isSpace(buf[b - 1])) b--;
        if (a === b) fail(`${name}: part ${i + 1} of ${n} is empty`);
        parts.push(Buffer.concat([buf.subarray(a, b), Buffer.from("\n")]));
    }
    return parts;
}

// spread(items): the items of all sources in one list, each source's spread
// evenly over it: the i-th of a source's n items sits at (i + 0.5) / n of
// the way along (ties in the order the sources were given).
function spread(items) {
    const count = new Map();
    for (const it of items) count.set(it.s, (count.get(it.s) || 0) + 1);
    const seen = new Map();
    const keyed = items.map((it) => {
        const i = seen.get(it.s) || 0;
        seen.set(it.s, i + 1);
        return { it, key: (i + 0.5) / count.get(it.s) };
    });
    keyed.sort((a, b) => a.key - b.key || a.it.s - b.it.s);
    return keyed.map((k) => k.it);
}

// shard(target, outDir, sources): bytegpt holds out every tenth shard of a
// folder in name order (the 10th, 20th, ...) for validation. So that the
// held-out text is a fair sample, every source is cut into a multiple of
// ten parts (ten, or the multiple of ten nearest to its size over target)
// and the last part of every ten, its last tenth, is held out, as bytegpt
// holds out the last tenth of a single file. The kept parts of all sources
// are spread evenly over the name order, and so are the held-out ones;
// they are written nine kept, one held out, nine kept, ... so that the
// held-out ones land on every tenth name and training, which reads the
// shards in name order while they fit its buffer, sees the sources mixed.
// Files are named NNN_NAME-JJ.txt: position, source and part, from 1.
// Prints one line per shard: name, bytes, and "validation" or "training".
function shard(target, outDir, sources) {
    const kept = [];
    const held = [];
    sources.forEach(({ name, file }, s) => {
        const buf = fs.readFileSync(file);
        const n = 10 * Math.max(1, Math.round(buf.length / (10 * target)));
        split(buf, n, name).forEach((text, j) => (j % 10 === 9 ? held : kept).push({ s, name, j, text }));
    });
    const train = spread(kept);
    const val = spread(held);
    const order = [];
    val.forEach((v, g) => order.push(...train.slice(9 * g, 9 * g + 9), v));
    const width = Math.max(3, String(order.length).length);
    order.forEach((p, i) => {
        const file = `${String(i + 1).padStart(width, "0")}_${p.name}-${String(p.j + 1).padStart(2, "0")}.txt`;
        fs.writeFileSync(path.join(outDir, file), p.text);
        console.log(`${file} ${p.text.length} ${i % 10 === 9 ? "validation" : "training"}`);
    });
}

// ---- Main ----

const [cmd, ...args] = process.argv.slice(2);
const print = (text) => {
    if (text.indexOf("\0") >= 0) fail("the text holds a NUL byte");
    process.stdout.write(text);
};
switch (cmd) {
    case "moby":
        print(mobyText(args[0]));
        break;
    case "sotu":
        print(sotuText(args[0]));
        break;
    case "sword":
        print(osisText(swordEntries(args[0])));
        break;
    case "dict":
        print(dictText(args[0]));
        break;
    case "tree":
        treeText(args[0]);
        break;
    case "shard": {
        const [target, outDir, ...pairs] = args;
        if (!(Number(target) > 0) || !outDir || pairs.length === 0) fail("usage: shard TARGET OUT_DIR NAME=FILE...");
        shard(Number(target), outDir, pairs.map((p) => {
            const at = p.indexOf("=");
            if (at <= 0) fail("not NAME=FILE: " + p);
            return { name: p.slice(0, at), file: p.slice(at + 1) };
        }));
        break;
    }
    default:
        fail("unknown command '" + cmd + "' (moby, sotu, sword, dict, tree, shard)");
}
