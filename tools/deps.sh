#!/bin/sh
# Installs the Debian packages imgpool needs to build and test, if any are missing.
# Usage: tools/deps.sh [build|test|bench|fuzz|deb]   (test and bench include the
# levels before them; fuzz is build plus clang and its libFuzzer runtime; deb is
# test plus the Debian packaging tools)
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu
level=${1:-build}

# pkg-config module -> Debian package
need_pc="stb:libstb-dev libcurl:libcurl4-openssl-dev libcjson:libcjson-dev libexif:libexif-dev gmp:libgmp-dev libdeflate:libdeflate-dev libjpeg:libjpeg62-turbo-dev zlib:zlib1g-dev lcms2:liblcms2-dev libwebp:libwebp-dev libwebpdemux:libwebp-dev libwebpmux:libwebp-dev libtiff-4:libtiff-dev libheif:libheif-dev libavif:libavif-dev"
case $level in test|bench|deb) tests=1 ;; *) tests= ;; esac
[ -z "$tests" ] || need_pc="$need_pc cmocka:libcmocka-dev"
# command -> Debian package
need_cmd="pkg-config:pkg-config cc:gcc make:make"
[ -z "$tests" ] || need_cmd="$need_cmd python3:python3 timeout:coreutils parallel:parallel setpriv:util-linux openssl:openssl cjpeg:libjpeg-turbo-progs convert:imagemagick cwebp:webp dwebp:webp img2webp:webp webpmux:webp avifenc:libavif-bin heif-enc:libheif-examples heif-convert:libheif-examples heif-thumbnailer:heif-thumbnailer tiffcp:libtiff-tools tiffinfo:libtiff-tools exiftool:libimage-exiftool-perl"
# data file -> Debian package (colour tests: RGB test profiles, a CMYK profile)
need_file=""
[ -z "$tests" ] || need_file="/usr/share/color/icc/colord/SwappedRedAndGreen.icc:colord-data /usr/share/color/icc/ghostscript/default_cmyk.icc:libgs10-common"
[ "$level" != bench ] || need_cmd="$need_cmd mogrify:imagemagick vipsthumbnail:libvips-tools /usr/bin/time:time hyperfine:hyperfine curl:curl"

[ "$level" != fuzz ] || need_cmd="$need_cmd clang:clang convert:imagemagick"
[ "$level" != deb ] || need_cmd="$need_cmd dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian git:git"

missing=""
if [ "$level" = fuzz ] && ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a \
    >/dev/null 2>&1; then
  missing="libclang-rt-14-dev"
fi
# Debian's own binary, not whatever PATH finds first: a wrapper of the same name
# (one stands in for ImageMagick's convert in /usr/local/bin on some machines)
# must not pass for the package.
for pair in $need_cmd; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  case $cmd in /*) path=$cmd ;; *) path=/usr/bin/$cmd ;; esac
  [ -x "$path" ] || missing="$missing $pkg"
done
for pair in $need_file; do
  [ -e "${pair%%:*}" ] || missing="$missing ${pair#*:}"
done
for pair in $need_pc; do
  mod=${pair%%:*}; pkg=${pair#*:}
  pkg-config --exists "$mod" 2>/dev/null || missing="$missing $pkg"
done
# Pillow: a bench contender, and in tests an independent reader of our PNGs and JPEGs
# (cjpeg and ImageMagick make the JPEG test inputs).
if [ -n "$tests" ]; then
  /usr/bin/python3 -c 'import PIL' 2>/dev/null || missing="$missing python3-pil"
fi
[ -n "$missing" ] || exit 0

missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
echo "imgpool: missing Debian packages:$missing" >&2
cmd="apt-get install -y --no-install-recommends $missing"
if [ "$(id -u)" -eq 0 ]; then
  echo "imgpool: running: apt-get update && $cmd" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $cmd >&2
else
  echo "imgpool: run as root:  sudo sh -c 'apt-get update && $cmd'" >&2
  exit 1
fi
