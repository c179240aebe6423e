#!/bin/sh
# bench.sh — imgpool against the tools users would pick instead, side by side.
#
#   tools/bench.sh build/imgpool        what `make bench` runs
#   BENCH_REPEAT=5 tools/bench.sh ...   5 runs per cell, median wall and CPU (default:
#                                       1 for full-size gray, mogrify alone takes ~90 s;
#                                       2 for jpeg85; 3 for the others, which take seconds)
#   BENCH_QUICK=1 tools/bench.sh ...    smoke run: imgpool and the stb floor, fit job, 1 run
#   BENCH_JOBS="fit grayfit" BENCH_TOOLS="imgpool2 vips" tools/bench.sh ...   a subset
#     jobs: gray fit grayfit photo50 jpeg85 webp heic; tools: imgpool2 imgpool1 imgpoolw
#     mogrify vips pillow stb
#     (photo50: the corpus's 63 JPEGs at 50%, JPEG q90 out; jpeg85: all 200 to JPEG q85,
#     full size; the stb floor writes PNG only and sits those two out)
#     webp: fit 256, WebP quality 80 out (imgpool, libvips and Pillow only)
#     heic: the 63 photos as HEIC with 320-pixel thumbnails (made once by heif-enc, kept in
#     build/bench/heic), fit 256, JPEG q85 out; imgpoolw is imgpool decoding each HEIC
#     whole (--no-embedded-thumbnail); Debian's Pillow reads no HEIC and sits it out
#     fit also reports where one worker's time goes: --procs 1 --trace, tools/bench_stages.py
#
# Prints a markdown report and writes it to build/bench/results.md. Exit 0 if
# every contender wrote every output, 1 if one failed, 77 if ../shared/bench
# is missing.
#
# Design note. This is a noisy 2-core VM: seconds drift from minute to minute,
# so only numbers taken close together compare. All contenders therefore run
# in one session, round-robin (each repetition runs every tool once on the
# job), on the same page-cached corpus, each into a fresh output folder.
# Every contender gets 2 processes of one thread each (MAGICK_THREAD_LIMIT=1,
# VIPS_CONCURRENCY=1): the shared README measured the tools' own threads at
# 1.0-1.4x on 2 cores, and 2 processes x 2 threads would only oversubscribe.
# The xargs contenders get the files largest first, 10 per process, which is
# imgpool's order, so no batch of wallpapers starts last.
# /usr/bin/time's %M is the peak RSS of the largest single process of the
# measured tree (wait4 folds reaped children's peak into the child's), not a
# sum; %U+%S is the CPU time of the whole tree.
#
# Internal modes (run under /usr/bin/time, or by xargs):
#   bench.sh --run TOOL JOB IN OUT            one contender, one job
#   bench.sh --vips-batch JOB OUT TMP FILE... one xargs batch of the libvips gray and JPEG jobs
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
self=$root/tools/bench.sh
bdir=$root/build/bench
shared=$root/../shared/bench
fit=256x256

# ---- the contenders ---------------------------------------------------------

bench_run() {   # TOOL JOB IN OUT
    tool=$1 job=$2 in=$3 out=$4
    fmt="--format png" imfmt="-format png"
    case $job in
        gray)    ops="--gray";         im="-colorspace Gray" ;;
        fit)     ops="--resize $fit";  im="-resize $fit" ;;
        grayfit) ops="--gray --resize $fit"; im="-colorspace Gray -resize $fit" ;;
        photo50) ops="--resize 50%";   im="-resize 50%"; in=$in/../photos
                 fmt="--format jpg --quality 90" imfmt="-format jpg -quality 90 -sampling-factor 2x2" ;;
        jpeg85)  ops="";               im=""
                 fmt="--format jpg --quality 85" imfmt="-format jpg -quality 85 -sampling-factor 2x2" ;;
        webp)    ops="--resize $fit"; fmt="--format webp --quality 80" ;;
        heic)    ops="--resize $fit"; im="-resize $fit"; in=$in/../heic
                 fmt="--format jpg --quality 85" imfmt="-format jpg -quality 85 -sampling-factor 2x2" ;;
    esac
    cd "$in"
    # ls -S: largest first. The corpus names are [A-Za-z0-9._-] only (make-corpus.sh).
    # shellcheck disable=SC2011
    case $tool in
        imgpool1|imgpool2)
            # shellcheck disable=SC2086
            exec "$BENCH_IMGPOOL" . --procs "${tool#imgpool}" $ops $fmt -o "$out" -q ;;
        imgpoolw)
            # shellcheck disable=SC2086
            exec "$BENCH_IMGPOOL" . --procs 2 --no-embedded-thumbnail $ops $fmt -o "$out" -q ;;
        mogrify)
            # shellcheck disable=SC2086
            ls -S | MAGICK_THREAD_LIMIT=1 xargs -P2 -n 10 mogrify -path "$out" $imfmt $im ;;
        vips)
            if [ "$job" = webp ]; then
                ls -S | VIPS_CONCURRENCY=1 xargs -P2 -n 10 vipsthumbnail --size "$fit" -o "$out/%s.webp[Q=80]"
            elif [ "$job" = heic ]; then
                ls -S | VIPS_CONCURRENCY=1 xargs -P2 -n 10 vipsthumbnail --size "$fit" -o "$out/%s.jpg[Q=85]"
            elif [ "$job" = fit ]; then
                ls -S | VIPS_CONCURRENCY=1 xargs -P2 -n 10 vipsthumbnail --size "$fit" -o "$out/%s.png"
            elif [ "$job" = jpeg85 ]; then
                # Shrink-only to a size nothing reaches: a format conversion, 10 files a process.
                ls -S | VIPS_CONCURRENCY=1 xargs -P2 -n 10 vipsthumbnail --size "10000000x10000000>" \
                    -o "$out/%s.jpg[Q=85]"
            elif [ "$job" = photo50 ]; then
                # vipsthumbnail takes sizes, not percentages: one process per group of
                # photos of one size (listed by bench_setup, outside the timing).
                awk '{ print $1 }' "$bdir/photos.sizes" | sort -u | while read -r size; do
                    printf '%s' "$size"
                    awk -v s="$size" '$1 == s { printf " %s", $2 }' "$bdir/photos.sizes"
                    echo
                done | VIPS_CONCURRENCY=1 xargs -P2 -L 1 sh -c \
                    'size=$1; shift; exec vipsthumbnail --size "$size" -o "$0/%s.jpg[Q=90]" "$@"' "$out"
            else
                ls -S | VIPS_CONCURRENCY=1 xargs -P2 -n 10 sh "$self" --vips-batch "$job" "$out" "$bdir/vips-tmp"
            fi ;;
        pillow)
            exec /usr/bin/python3 "$root/tools/bench_pillow.py" "$job" . "$out" ;;
        stb)
            exec "$bdir/stb_floor" "$job" . "$out" ;;
    esac
}

# libvips has no gray option in thumbnail, and the vips CLI runs one operation
# per process: shrink-on-load to a .v file, then colourspace b-w to PNG.
bench_vips_batch() {   # JOB OUT TMP FILE...
    job=$1 out=$2 tmp=$3
    shift 3
    if [ "$job" = grayfit ]; then
        vipsthumbnail --size "$fit" -o "$tmp/%s.v" "$@" || return 1
    fi
    for f; do
        stem=${f##*/}
        stem=${stem%.*}
        src=$f
        [ "$job" = gray ] || src=$tmp/$stem.v
        vips colourspace "$src" "$out/$stem.png" b-w || return 1
    done
}

tool_label() {
    case $1 in
        imgpool1) echo "imgpool --procs 1" ;;
        imgpool2) echo "imgpool --procs 2" ;;
        imgpoolw) echo "imgpool --procs 2 --no-embedded-thumbnail" ;;
        mogrify)  echo "ImageMagick mogrify, xargs -P2" ;;
        vips)     echo "libvips CLI, xargs -P2" ;;
        pillow)   echo "Python Pool(2) + Pillow" ;;
        stb)      echo "bare fork loop around stb" ;;
    esac
}

job_label() {
    case $1 in
        gray)    echo "grayscale, full size" ;;
        fit)     echo "fit within 256x256" ;;
        grayfit) echo "grayscale + fit 256" ;;
        photo50) echo "63 JPEG photos, 50%, JPEG q90" ;;
        jpeg85)  echo "all to JPEG q85, full size" ;;
        webp)    echo "fit 256, WebP q80 out" ;;
        heic)    echo "63 HEIC photos, fit 256, JPEG q85" ;;
    esac
}

# 1 if TOOL runs JOB: the WebP job is for imgpool, libvips and Pillow; the stb
# floor writes PNG only; Pillow reads no HEIC; imgpoolw is for the HEIC job alone.
tool_does() {
    case $2-$1 in
        webp-mogrify|webp-stb|photo50-stb|jpeg85-stb|heic-pillow|heic-stb) return 1 ;;
        heic-imgpoolw) return 0 ;;
        *-imgpoolw) return 1 ;;
    esac
    return 0
}

# ---- setup --------------------------------------------------------------------

corpus_ok() {
    [ "$(ls "$corpus" 2>/dev/null | wc -l)" -eq "$nfiles" ] &&
        (cd "$corpus" && sha256sum -c --quiet "$shared/corpus.sha256") >/dev/null 2>&1
}

bench_setup() {
    mkdir -p "$bdir/logs"
    corpus=$bdir/corpus
    nfiles=$(wc -l <"$shared/corpus.sha256")
    corpus_note="matches corpus.sha256 (cached)"
    if ! corpus_ok; then
        echo "bench: building the corpus into $corpus (about 15 s)" >&2
        bash "$shared/make-corpus.sh" "$bdir" >&2
        corpus_note="matches corpus.sha256 (built now)"
        corpus_ok || corpus_note="DIFFERS from corpus.sha256: not comparable with ../shared/bench/README.md"
    fi
    cat "$corpus"/* >/dev/null      # page cache: every contender reads from memory
    # photo50's input: the corpus's JPEGs, hard-linked (copied if links fail).
    rm -rf "$bdir/photos"
    mkdir -p "$bdir/photos"
    for f in "$corpus"/*.jpg; do
        ln "$f" "$bdir/photos/" 2>/dev/null || cp "$f" "$bdir/photos/"
    done
    nphotos=$(ls "$bdir/photos" | wc -l)
    case " $jobs " in *" heic "*) heic_setup ;; esac
    # "WxH name" per photo, half size rounded up: what libvips is told (it takes no %).
    (cd "$bdir/photos" && /usr/bin/python3 -c '
import os
from PIL import Image
for n in sorted(os.listdir(".")):
    with Image.open(n) as im:
        print("%dx%d %s" % ((im.width + 1) // 2, (im.height + 1) // 2, n))') >"$bdir/photos.sizes"

    make -s -C "$root" build/libimgpool.a build/tests/tool_pool >&2
    warn="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes"
    # shellcheck disable=SC2046,SC2086
    cc -std=c11 -D_GNU_SOURCE -O2 $warn $(pkg-config --cflags stb) \
        "$root/tools/bench_stb_floor.c" -o "$bdir/stb_floor" $(pkg-config --libs stb) -lm
    # shellcheck disable=SC2086
    cc -std=c11 -D_GNU_SOURCE -O2 $warn -I"$root/include" "$root/tools/bench_pool_overhead.c" \
        "$root/build/libimgpool.a" -o "$bdir/pool_overhead" -lpthread -lm
}

# heic's input: the corpus's JPEG photos as HEIC with an embedded thumbnail
# (320 pixels on the long side), as phones store one, by heif-enc at quality 80 with
# x265's ultrafast preset (the default took 65 s on the largest photo here, ultrafast 6 s).
# Made once, kept while the photos and heif-enc stay the same.
heic_setup() {
    stamp="$(heif-enc 2>&1 | grep -m1 'libheif version') $(grep '\.jpg' "$shared/corpus.sha256" |
        sha256sum | cut -c1-16)"
    if [ "$(cat "$bdir/heic.stamp" 2>/dev/null)" != "$stamp" ]; then
        echo "bench: encoding the $nphotos photos as HEIC into $bdir/heic (once)" >&2
        rm -rf "$bdir/heic" "$bdir/heic.stamp"
        mkdir -p "$bdir/heic"
        (cd "$bdir/photos" && ls -S | xargs -P2 -I{} sh -c \
            'heif-enc -q 80 -t 320 -p preset=ultrafast -o "$0/${1%.*}.heic" "$1" >/dev/null' \
            "$bdir/heic" {}) || { echo "bench: heif-enc failed" >&2; exit 1; }
        echo "$stamp" >"$bdir/heic.stamp"
    fi
    nheic=$(ls "$bdir/heic" | wc -l)
}

# ---- measuring -----------------------------------------------------------------

# measure TOOL JOB REP: one run, one line appended to $raw:
# job tool rep wall_s peak_rss_kb cpu_s out_bytes out_files status
measure() {
    out=$bdir/out
    rm -rf "$out" "$bdir/vips-tmp"
    mkdir -p "$out" "$bdir/vips-tmp"
    status=ok
    /usr/bin/time -f '%e %M %U %S' -o "$bdir/time.txt" \
        timeout 900 sh "$self" --run "$1" "$2" "$corpus" "$out" >>"$bdir/logs/$2-$1.log" 2>&1 ||
        status=fail
    # shellcheck disable=SC2046
    set -- "$1" "$2" "$3" $(tail -n 1 "$bdir/time.txt")
    files=$(ls "$out" | wc -l)
    bytes=$(du -sb "$out" | cut -f1)
    cpu=$(echo "$6 $7" | awk '{ printf "%.2f", $1 + $2 }')
    want=$nfiles
    [ "$2" != photo50 ] || want=$nphotos
    [ "$2" != heic ] || want=$nheic
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$2" "$1" "$3" "$4" "$5" "$cpu" "$bytes" \
        "$files" "$status" "$want" >>"$raw"
    printf 'bench: %-8s %-32s run %s/%s: %7.2f s  %s files  %s\n' "$2" "$(tool_label "$1")" \
        "$3" "$repeat" "$4" "$files" "$status" >&2
    # The last resize outputs of imgpool and Pillow stay for quality(), and
    # every contender's last JPEG outputs for photo_quality().
    case $2-$1 in
        fit-imgpool2|fit-pillow|grayfit-imgpool2|grayfit-pillow|photo50-*|jpeg85-*|heic-*|webp-imgpool2|webp-pillow)
            [ "$3" != "$repeat" ] || { rm -rf "$bdir/keep/$2-$1"; mv "$out" "$bdir/keep/$2-$1"; } ;;
    esac
    rm -rf "$out" "$bdir/vips-tmp"
}

# The bytes of a folder of WebP files without their EXIF and XMP chunks.
webp_image_bytes() {
    /usr/bin/python3 - "$1" <<'PY'
import os, struct, sys
total = 0
for name in os.listdir(sys.argv[1]):
    with open(os.path.join(sys.argv[1], name), "rb") as f:
        b = f.read()
    total += len(b)
    p = 12
    while p + 8 <= len(b):
        kind, n = b[p:p + 4], struct.unpack("<I", b[p + 4:p + 8])[0]
        if kind in (b"EXIF", b"XMP "):
            total -= 8 + n + (n & 1)
        p += 8 + n + (n & 1)
print(total)
PY
}

# How close imgpool's thumbnails are to Pillow's thumbnail() (tools/quality.py).
quality() {
    for job in fit grayfit webp; do
        a=$bdir/keep/$job-imgpool2 b=$bdir/keep/$job-pillow
        [ -d "$a" ] && [ -d "$b" ] || continue
        q=$(/usr/bin/python3 "$root/tools/quality.py" "$a" "$b" | head -n 2 | paste -sd ';' - | sed 's/;/; /')
        if [ "$job" = webp ]; then     # same encoder settings: the bytes should agree
            q="$q; bytes $(du -sb "$a" | cut -f1) vs Pillow's $(du -sb "$b" | cut -f1) ($(echo \
                "$(du -sb "$a" | cut -f1) $(du -sb "$b" | cut -f1)" | awk '{ printf "%+.1f%%", 100 * ($1 / $2 - 1) }'))"
            q="$q; without the EXIF and XMP imgpool keeps and Pillow's save() drops: $(webp_image_bytes "$a")"
            q="$q vs $(webp_image_bytes "$b")"
        fi
        echo "- $(job_label "$job"), imgpool --procs 2 against Pillow's thumbnail(): $q"
    done
}

# The JPEG-out jobs against the strongest other contender (Python Pool(2) +
# Pillow; libvips for HEIC, which Debian's Pillow cannot read): time, bytes
# and PSNR against the source (tools/bench_psnr.py) of every contender's last
# run. The HEIC job's source is the JPEG photo each HEIC was made from.
photo_quality() {
    for job in photo50 jpeg85 heic; do
        ref=pillow refname=Pillow
        [ "$job" != heic ] || ref=vips refname=libvips
        [ -d "$bdir/keep/$job-$ref" ] || continue
        src=$corpus
        [ "$job" = jpeg85 ] || src=$bdir/photos
        echo
        echo "$(job_label "$job"), against $(tool_label "$ref"), same run:"
        echo
        echo "| tool | wall s | time vs $refname | output bytes | bytes vs $refname | PSNR vs source dB | PSNR vs $refname's |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        for t in $tools; do
            [ -d "$bdir/keep/$job-$t" ] || continue
            q=$(/usr/bin/python3 "$root/tools/bench_psnr.py" "$src" "$bdir/keep/$job-$t") || continue
            echo "$t $(awk -F'\t' -v j="$job" -v t="$t" '$1 == j && $2 == t { print $4 }' "$raw" |
                sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }') $q"
        done | awk -v reftool="$ref" -v lt="$(for t in $tools; do printf '%s=%s;' "$t" "$(tool_label "$t")"; done)" '
            BEGIN { n = split(lt, kv, ";"); for (i = 1; i <= n; i++) { split(kv[i], p, "="); label[p[1]] = p[2] } }
            { tool[NR] = $1; wall[NR] = $2; psnr[NR] = $4; bytes[NR] = $NF; if ($1 == reftool) ref = NR }
            END {
                for (i = 1; i <= NR; i++)
                    printf "| %s | %.2f | %s | %d | %s | %.2f | %s |\n", label[tool[i]], wall[i],
                        ref ? sprintf("%.2fx", wall[i] / wall[ref]) : "-", bytes[i],
                        ref ? sprintf("%.3fx", bytes[i] / bytes[ref]) : "-", psnr[i],
                        ref ? sprintf("%+.2f", psnr[i] - psnr[ref]) : "-"
            }'
    done
    echo
    echo "(time vs the reference below 1: faster. PSNR: every output against its source decoded by"
    echo "Pillow, upright if the output is, Lanczos-resized to the output's size; sources with"
    echo "transparent pixels left out.)"
}

# The markdown table from $raw: medians of wall and CPU, largest RSS.
# Labels come first, on stdin, as "tool=label" and "job=label" lines.
table() {
    awk -F'\t' '
    function median(s,   v, n, i, j, t) {
        n = split(s, v, " ")
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    NR == FNR { split($0, kv, "="); label[kv[1]] = kv[2]; next }
    {
        k = $1 SUBSEP $2
        if (!(k in wall)) { order[++nk] = k; if (!($1 in seen)) { seen[$1] = 1; jobs[++nj] = $1 } }
        wall[k] = wall[k] " " $4; cpu[k] = cpu[k] " " $6
        if ($5 > rss[k]) rss[k] = $5
        bytes[k] = $7
        if (!(k in files) || $8 < files[k]) files[k] = $8
        if ($9 != "ok") bad[k] = 1
        want[k] = $10
    }
    END {
        print "| job | tool | runs | wall s | images/s | CPU s | peak RSS MiB | output MB | wall vs imgpool --procs 2 |"
        print "|---|---|---:|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= nk; i++) {
            split(order[i], jt, SUBSEP)
            w = median(wall[order[i]])
            ref = jt[1] SUBSEP "imgpool2"
            ratio = (ref in wall) ? sprintf("%.2fx", w / median(wall[ref])) : "-"
            note = (bad[order[i]] || files[order[i]] != want[order[i]]) ? \
                sprintf(" (FAILED: %d of %d files)", files[order[i]], want[order[i]]) : ""
            printf "| %s | %s%s | %d | %.2f | %.1f | %.1f | %.0f | %.1f | %s |\n", \
                label[jt[1]], label[jt[2]], note, split(wall[order[i]], tmp, " "), w, want[order[i]] / w, \
                median(cpu[order[i]]), rss[order[i]] / 1024, bytes[order[i]] / 1e6, ratio
        }
        print ""
        for (i = 1; i <= nj; i++) {
            one = jobs[i] SUBSEP "imgpool1"; two = jobs[i] SUBSEP "imgpool2"
            if ((one in wall) && (two in wall))
                printf "imgpool speed-up, --procs 2 over --procs 1, %s: %.2fx\n", label[jobs[i]], \
                    median(wall[one]) / median(wall[two])
        }
    }' - "$raw" <<EOF
$(for t in $tools; do echo "$t=$(tool_label "$t")"; done)
$(for j in $jobs; do echo "$j=$(job_label "$j")"; done)
EOF
}

pool_overhead() {
    echo "| program, 2 workers, no-op tasks | tasks | wall s | µs per task | peak RSS KB | whose RSS |"
    echo "|---|---:|---:|---:|---:|---|"
    for n in 1000 10000 100000; do
        /usr/bin/time -f '%e %M' -o "$bdir/time.txt" "$root/build/tests/tool_pool" -j 2 -n "$n" \
            sleep=0 >/dev/null || { echo "bench: tool_pool -n $n failed" >&2; return 1; }
        # shellcheck disable=SC2046
        set -- $(tail -n 1 "$bdir/time.txt")
        echo "$n $1 $2" | awk '{ printf "| tests/tool_pool sleep=0 | %d | %.2f | %.1f | %d | %s |\n",
            $1, $2, $2 * 1e6 / $1, $3, "largest of parent and workers (/usr/bin/time %M)" }'
    done
    for n in 1000 10000 100000 1000000; do
        # tasks N procs P wall_s W us_per_task U parent_maxrss_kb R workers_maxrss_kb C
        line=$("$bdir/pool_overhead" -j 2 -n "$n") || { echo "bench: pool_overhead failed" >&2; return 1; }
        # shellcheck disable=SC2086
        set -- $line
        printf '| tools/bench_pool_overhead | %s | %s | %s | %s | parent only (getrusage SELF); largest worker %s KB |\n' \
            "$2" "$6" "$8" "${10}" "${12}"
    done
}

# Where one worker's time goes on the thumbnail job: decoding against the rest
# (resize, encode, write), from --trace with --procs 1 (tools/bench_stages.py).
stages() {
    for job in $jobs; do
        [ "$job" = fit ] || continue
        n=0
        while [ "$n" -lt "${BENCH_REPEAT:-3}" ]; do
            n=$((n + 1))
            rm -rf "$bdir/out"
            "$BENCH_IMGPOOL" "$corpus" --procs 1 --resize "$fit" --format png -o "$bdir/out" -q \
                --trace "$bdir/stages-$n.json" || { echo "bench: the stages run failed" >&2; return 1; }
        done
        rm -rf "$bdir/out"
        echo "Where the time goes: fit within 256x256, \`--procs 1 --trace\`, worker seconds (median):"
        echo
        echo "| runs | decode | operations | encode + write | outside decoding, share | outside / decode |"
        echo "|---:|---:|---:|---:|---:|---:|"
        /usr/bin/python3 "$root/tools/bench_stages.py" "$bdir"/stages-*.json
        rm -f "$bdir"/stages-*.json
        echo
    done
}

machine() {
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
    ram=$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)
    echo "- machine: $(nproc) CPUs, $cpu, Linux $(uname -r), $ram"
    echo "- load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- $("$BENCH_IMGPOOL" --version | head -n 1); $(convert -version | head -n 1 | cut -d' ' -f2-3);" \
        "$(vips --version); Pillow $(/usr/bin/python3 -c 'import PIL; print(PIL.__version__)');" \
        "stb $(dpkg-query -W -f '${Version}' libstb-dev 2>/dev/null)"
    echo "- corpus: $nfiles files, $(du -sm "$corpus" | cut -f1) MB, $corpus_note"
}

notes() {
    cat <<'EOF'

How each contender runs (2 processes of one thread each, fresh output folder; PNG out,
except the two JPEG jobs: photo50 = the corpus's JPEGs at 50%, JPEG quality 90; jpeg85 =
all files, full size, JPEG quality 85; 4:2:0 chroma everywhere):
- imgpool: `imgpool CORPUS --procs N [--gray] [--resize 256x256] --format png -o OUT -q`.
- ImageMagick (files largest first, 10 per process): `ls -S | MAGICK_THREAD_LIMIT=1
  xargs -P2 -n 10 mogrify -path OUT -format png [-colorspace Gray] [-resize 256x256]`.
- libvips: fit is `vipsthumbnail --size 256x256` (shrink-on-load) via the same xargs; gray is
  `vips colourspace IN OUT.png b-w` per file; gray + fit is vipsthumbnail to a .v file, then
  `vips colourspace` to PNG (the CLI runs one operation per process). VIPS_CONCURRENCY=1.
- Python: `tools/bench_pillow.py`, multiprocessing.Pool(2), chunksize=1, Image.draft (JPEG
  decodes to gray and at 1/2-1/8 scale), thumbnail(), Pillow's default PNG level; JPEG jobs:
  draft to the target, resize() if needed, save(quality=Q).
- JPEG jobs: imgpool `--format jpg --quality Q [--resize 50%]`; mogrify `-format jpg -quality
  Q -sampling-factor 2x2 [-resize 50%]`; libvips `vipsthumbnail`, which takes a size and no
  percentage: photo50 one process per group of same-sized photos with `--size` half their
  size (rounded up; listed before the timing), jpeg85 `--size "10000000x10000000>"`
  (shrink only: a plain conversion) over batches of 10, both via xargs -P2.
- HEIC job (no Pillow: Debian's reads no HEIC): the 63 photos as HEIC by `heif-enc -q 80 -t 320
  -p preset=ultrafast` (with a 320-pixel thumbnail, as phones store one; made once, kept in
  build/bench/heic); `imgpool --resize 256x256 --format jpg --quality 85`, which decodes the
  thumbnail where it covers the target, and again with `--no-embedded-thumbnail`;
  `vipsthumbnail --size 256x256 -o OUT/%s.jpg[Q=85]` (which does the same) and mogrify
  `-resize 256x256 -quality 85`, both via xargs -P2. PSNR against the JPEG each HEIC was made from.
- WebP job (imgpool, libvips and Pillow only): `imgpool --resize 256x256 --format webp
  --quality 80`; `vipsthumbnail --size 256x256 -o OUT/%s.webp[Q=80]`; Pillow thumbnail() then
  `save(..., "WEBP", quality=80)`. All three are libwebp at quality 80, method 4.
- stb floor: `tools/bench_stb_floor.c`, 2 forked processes taking files from one atomic
  counter: stbi_load, BT.601 gray, stbir_resize_uint8_srgb, stbi_write_png. No size check,
  EXIF orientation, temp file or crash handling: the gap to imgpool is their price.

Ratio: the tool's median wall time over imgpool --procs 2's on the same job (above 1: slower).
Measured: wall and CPU (user+system of the whole process tree) from `/usr/bin/time -f '%e %M %U %S'`;
peak RSS is its %M, the largest single process (wait4 folds each reaped child's peak into its
parent's), not a sum over processes; output MB is `du -sb` of the output folder.
Pool overhead: tool_pool's sleep=0 task still calls usleep(0), which sleeps for the timer slack
(50 µs by default), and it keeps every 2.4 KB record (pool_map) and prints a line per task, so
its µs and RSS grow with that; bench_pool_overhead's task returns at once and its results
callback only counts, so its parent RSS is the pool's own (tasks published in their own order
leave the shared order array untouched; a permuted order costs 8 bytes a task).
EOF
}

bench_main() {
    [ $# -eq 1 ] || { echo "usage: tools/bench.sh IMGPOOL" >&2; exit 2; }
    case $1 in /*) BENCH_IMGPOOL=$1 ;; *) BENCH_IMGPOOL=$PWD/$1 ;; esac
    export BENCH_IMGPOOL
    [ -x "$BENCH_IMGPOOL" ] || { echo "bench: no executable '$1' (run make)" >&2; exit 2; }
    if [ ! -f "$shared/make-corpus.sh" ]; then
        echo "bench: skip: $shared not found (the corpus recipe lives in ../shared/bench)"
        exit 77
    fi
    jobs="gray fit grayfit photo50 jpeg85 webp heic"
    tools="imgpool2 imgpool1 imgpoolw mogrify vips pillow stb"
    if [ -n "${BENCH_QUICK:-}" ]; then
        jobs=fit
        tools="imgpool2 imgpool1 stb"
    fi
    jobs=${BENCH_JOBS:-$jobs}
    tools=${BENCH_TOOLS:-$tools}
    for t in $tools; do
        [ -n "$(tool_label "$t")" ] || { echo "bench: unknown tool '$t'" >&2; exit 2; }
    done
    for j in $jobs; do
        [ -n "$(job_label "$j")" ] || { echo "bench: unknown job '$j'" >&2; exit 2; }
    done
    bench_setup
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    raw=$bdir/raw.tsv
    : >"$raw"
    rm -rf "$bdir/keep"
    mkdir -p "$bdir/keep"
    rm -f "$bdir"/logs/*.log
    for job in $jobs; do
        repeat=${BENCH_REPEAT:-$( [ "$job" = gray ] || [ -n "${BENCH_QUICK:-}" ] && echo 1 ||
            { [ "$job" = jpeg85 ] && echo 2; } || echo 3)}
        rep=1
        while [ "$rep" -le "$repeat" ]; do
            for tool in $tools; do
                tool_does "$tool" "$job" || continue
                measure "$tool" "$job" "$rep"
            done
            rep=$((rep + 1))
        done
    done
    {
        echo "# imgpool benchmark: $nfiles real images, 2 processes each"
        echo
        machine
        echo
        table
        echo
        q=$(quality)
        [ -z "$q" ] || printf 'Resize quality (mean |difference| over every sample, PSNR):\n%s\n\n' "$q"
        photo_quality
        echo
        stages
        pool_overhead
        notes
    } >"$bdir/results.md.tmp"
    mv "$bdir/results.md.tmp" "$bdir/results.md"
    cat "$bdir/results.md"
    if grep -q FAILED "$bdir/results.md"; then
        echo "bench: some contenders failed; logs in $bdir/logs/" >&2
        exit 1
    fi
}

case ${1:-} in
    --run) shift; bench_run "$@" ;;
    --vips-batch) shift; bench_vips_batch "$@" ;;
    *) bench_main "$@" ;;
esac
