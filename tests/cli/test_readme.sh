#!/usr/bin/env bash
# The README's "Reading the code" matches the tree, and the rule it states
# holds:
#   - its "Layers:" line names every folder under src/, once;
#   - its reading list takes the folders core first, base second, then the
#     others in layer order, and names every library source file under its
#     own folder's heading (and no file that is not there);
#   - no file includes a header of a layer after its own (a public header
#     bytegpt/NAME.h is in the layer of the folder that holds NAME.c; a
#     private header is in its folder's layer).
set -u
root=$2
src=$root/src
. "$(dirname "$0")/lib.sh"
readme=$root/README.md

section=$(sed -n '/<!-- reading-order:start -->/,/<!-- reading-order:end -->/p' "$readme")
[ -n "$section" ] && ok || bad "README has no reading-order section"

# ---- The layers ----

read -r -a layers <<<"$(grep -m1 '^Layers: ' "$readme" | grep -o '`[a-z]*`' | tr -d '`' | tr '\n' ' ')"
[ ${#layers[@]} -gt 0 ] && ok || bad "README has no 'Layers:' line"
declare -A rank=()
for i in "${!layers[@]}"; do
    [ -z "${rank[${layers[$i]}]:-}" ] && ok || bad "the layer ${layers[$i]} is named twice"
    rank[${layers[$i]}]=$i
done
for d in "$src"/*/; do
    f=$(basename "$d")
    [ -n "${rank[$f]:-}" ] && ok || bad "src/$f/ is in no layer of the README's 'Layers:' line"
done
for f in "${layers[@]}"; do
    [ -d "$src/$f" ] && ok || bad "the layer $f has no folder src/$f/"
done

# ---- The reading order: core, base, then the layers in order ----

want="core base"
for f in "${layers[@]}"; do
    [ "$f" = core ] || [ "$f" = base ] || want="$want $f"
done
have=$(grep -o '^\*\*`src/[a-z]*/`' <<<"$section" | sed 's|.*src/||; s|/`||' | tr '\n' ' ')
[ "$have" = "$want " ] && ok || bad "the reading order's folders are '$have', not '$want '"

# The lines of the reading list under folder f's heading.
block() {
    awk -v h="**\`src/$1/\`" 'index($0, "**`src/") == 1 { on = index($0, h) == 1; next } on' <<<"$section"
}
for f in "${layers[@]}"; do
    [ "$f" = cli ] && continue # the program's files are named by pattern
    text=$(block "$f")
    for c in "$src/$f"/*.c; do
        name=$(basename "$c")
        grep -q "\`$name\`" <<<"$text" && ok || bad "README's reading order does not name src/$f/$name under src/$f/"
    done
    for name in $(grep -o '`[a-z_]*\.[ch]`' <<<"$text" | tr -d '`' | sort -u); do
        [ -f "$src/$f/$name" ] && ok || bad "README names $name under src/$f/, which has no such file"
    done
done

# ---- No include runs against the layers ----

# The layer of the module whose source is NAME.c.
declare -A module=()
for c in "$src"/*/*.c; do
    module[$(basename "$c" .c)]=$(basename "$(dirname "$c")")
done

# check FILE LAYER: every header FILE includes is of LAYER or an earlier one.
check() {
    local file=$1 own=$2 inc layer
    while read -r inc; do
        case $inc in
        bytegpt/*) layer=${module[$(basename "$inc" .h)]:-} ;;
        */*) layer=${inc%%/*} ;;
        *) layer=$own ;;
        esac
        if [ -z "$layer" ] || [ -z "${rank[$layer]:-}" ]; then
            bad "${file#"$root"/} includes $inc, which is of no module in a layer"
        elif [ "${rank[$layer]}" -gt "${rank[$own]}" ]; then
            bad "${file#"$root"/} ($own) includes $inc ($layer), a later layer"
        else
            ok
        fi
    done < <(sed -n 's/^#include "\(.*\)".*/\1/p' "$file")
}
for f in "$src"/*/*.[ch]; do
    check "$f" "$(basename "$(dirname "$f")")"
done
for h in "$root"/include/bytegpt/*.h; do
    layer=${module[$(basename "$h" .h)]:-}
    [ -n "$layer" ] && ok || { bad "include/bytegpt/$(basename "$h") is the header of no module"; continue; }
    check "$h" "$layer"
done
finish
