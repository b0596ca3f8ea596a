#!/bin/sh
# Prepares the Linux 6.1 arm/arm64 device-tree corpus under .cache/kernel-dts (idempotent):
#   src/      the parts of Debian's linux-source-6.1 that the .dts files need (arch/*/boot/dts, include/dt-bindings,
#             scripts/dtc/include-prefixes, include/uapi for the
#             symlinked input-event-codes.h)
#   pre/      every arm and arm64 .dts preprocessed with cpp as kbuild does (scripts/Makefile.lib, cmd_dtc)
#   ref/      the DTB the real dtc 1.6.1 makes of each, with kbuild's options
#   list.txt  the .dts paths, relative to src/ (the -i search path is the file's directory)
# Needs /usr/src/linux-source-6.1.tar.xz (apt-get install linux-source-6.1), cpp and dtc.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="$root/.cache/kernel-dts"
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
[ -f "$cache/done" ] && exit 0
[ -f "$tarball" ] || { echo "no $tarball (apt-get install linux-source-6.1)" >&2; exit 3; }
command -v cpp >/dev/null && command -v dtc >/dev/null || { echo "cpp or dtc missing" >&2; exit 3; }
rm -rf "$cache"; mkdir -p "$cache/src" "$cache/pre" "$cache/ref"
tar -xJf "$tarball" -C "$cache/src" --strip-components=1 --wildcards \
  'linux-source-6.1/arch/*/boot/dts' 'linux-source-6.1/include/dt-bindings' 'linux-source-6.1/scripts/dtc/include-prefixes' 'linux-source-6.1/include/uapi'
cd "$cache/src"
find arch/arm/boot/dts arch/arm64/boot/dts -name '*.dts' | sort > "$cache/list.tmp"
# cpp and dtc as kbuild runs them (in the source root, relative paths), two at a time; a file's name in pre/ and ref/
# is its path with / as _
export cache
xargs -P 2 -n 1 sh -c '
  f=$0; d=$(dirname "$f"); n=$(echo "$f" | sed "s|/|_|g; s|\.dts$||")
  cpp -nostdinc -I scripts/dtc/include-prefixes -undef -D__DTS__ -x assembler-with-cpp -o "$cache/pre/$n.pre.dts" "$f"
  dtc -q -I dts -O dtb -b 0 -i "$d" -i scripts/dtc/include-prefixes -Wno-interrupt_provider \
    -Wno-unit_address_vs_reg -Wno-avoid_unnecessary_addr_size -Wno-alias_paths -Wno-graph_child_address \
    -Wno-simple_bus_reg -Wno-unique_unit_address -o "$cache/ref/$n.dtb" "$cache/pre/$n.pre.dts"
' < "$cache/list.tmp"
mv "$cache/list.tmp" "$cache/list.txt"
touch "$cache/done"
