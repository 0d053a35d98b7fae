#!/usr/bin/env bash
# LLVM 22's llvm-profdata and llvm-cov, for coverage of code built by rustc 1.95
# (LLVM 22.1): a profile written by one LLVM version can only be read by tools
# of the same major version.
#
#   scripts/llvm-tools.sh        prints the directory holding the two wrappers
#
# Why this way: rustup's `llvm-tools` component cannot be downloaded on these
# machines, and this machine's Debian (bookworm) packages LLVM 14 at most.
# Debian 13 (trixie) packages LLVM 22, but its binaries need trixie's glibc
# (2.41 > bookworm's 2.36). So the .debs are unpacked into target/llvm-22/root
# (no apt, nothing installed on the system) and each tool is run through
# trixie's own dynamic loader with trixie's libraries, which leaves the host's
# libraries alone. The .debs come from deb.debian.org, the Debian registry
# these machines reach.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$PWD/target/llvm-22
root=$dir/root
lib=$root/usr/lib/x86_64-linux-gnu
bin=$dir/bin

if [[ ! -x $bin/llvm-cov || ! -x $bin/llvm-profdata ]]; then
  mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
  mkdir -p "$dir/debs" "$root" "$bin"
  # The package index of trixie, to find each package's current file name.
  curl -fsS "$mirror/dists/trixie/main/binary-amd64/Packages.gz" | gzip -dc >"$dir/Packages"
  # llvm-22 holds the two tools; the rest is what they and libLLVM link.
  for pkg in llvm-22 libllvm22 libc6 libstdc++6 libgcc-s1 libz3-4 libzstd1 zlib1g \
    libffi8 libedit2 libxml2 libtinfo6 libbsd0 libmd0 liblzma5; do
    file=$(awk -v p="$pkg" '$1 == "Package:" { hit = ($2 == p) } hit && $1 == "Filename:" { print $2; exit }' "$dir/Packages")
    if [[ -z $file ]]; then
      echo "llvm-tools: trixie has no package $pkg" >&2
      exit 1
    fi
    deb=$dir/debs/$(basename "$file")
    [[ -s $deb ]] || curl -fsS -o "$deb" "$mirror/$file"
    dpkg-deb -x "$deb" "$root"
  done
  for tool in llvm-cov llvm-profdata; do
    cat >"$bin/$tool" <<EOF
#!/bin/sh
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$root/usr/lib/llvm-22/bin/$tool" "\$@"
EOF
    chmod +x "$bin/$tool"
  done
fi

# Refuse a wrong version rather than produce a wrong report.
if ! "$bin/llvm-profdata" --version | grep -q 'LLVM version 22\.'; then
  echo "llvm-tools: $bin/llvm-profdata is not LLVM 22" >&2
  exit 1
fi
echo "$bin"
