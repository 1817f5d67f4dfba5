# W^X, checked from outside: QEMU's monitor lists every mapping of the page
# tables CR3 points to ("info tlb": VA, PA, flags X=NX ... W=writable).
# After the ready line no mapping may be writable and executable, the image
# text must be executable and read-only, and the in-hypervisor audit must
# agree. The image stays on when idle so the tables can be read.

tools/mkimage --timeout 0 --cmdline "on_idle=halt" config/default.cfg "$TEST_OUT/idle.iso" >/dev/null
mon=$TEST_OUT/wx-monitor
rm -f "$mon.in" "$mon.out" && mkfifo "$mon.in" "$mon.out"
BOOT_LOG=$TEST_OUT/wx-qemu.log
: > "$BOOT_LOG"
tools/boot qemu "$TEST_OUT/idle.iso" --cpus 2 --timeout 120 --log "$BOOT_LOG" \
	--monitor "$mon" >/dev/null 2>"$TEST_OUT/wx-qemu.boot" &
wx_boot=$!
# Bounded, and read-write opens of the FIFOs, so nothing blocks if QEMU
# never opens them.
timeout 150 cat "$mon.out" > "$TEST_OUT/wx-tlb.txt" &
wx_cat=$!
exec {wx_fd}<>"$mon.in"
for _ in $(seq 600); do
	grep -aq '^hv: nothing to run' "$BOOT_LOG" && break
	kill -0 $wx_boot 2>/dev/null || break
	sleep 0.2
done
echo "info tlb" >&$wx_fd
sleep 2
echo "quit" >&$wx_fd
exec {wx_fd}>&-
wait $wx_boot
wait $wx_cat
tlb=$TEST_OUT/wx-tlb.txt
tr -d '\r' < "$tlb" | grep -aE '^[0-9a-f]{16}: [0-9a-f]{16} [-A-Z]{9}$' > "$tlb.maps"
nmaps=$(wc -l < "$tlb.maps")
# flags: X(NX) G P(PS) D A C(PCD) T(PWT) U W
nwx=$(awk '{ f = $3 } substr(f, 1, 1) == "-" && substr(f, 9, 1) == "W"' "$tlb.maps" | wc -l)
text_start=$(nm build/hv.elf | awk '$3 == "__text_start" { print $1 }')
ntext=$(awk -v t="$text_start" '{ va = substr($1, 1, 16) } va >= t && substr($3, 1, 1) == "-"' "$tlb.maps" | wc -l)
audit=$(tr -d '\r' < "$BOOT_LOG" | sed -n 's/^mm: W^X audit: \([0-9]*\) mappings.* \([0-9]*\) writable+executable$/\1 \2/p')

check "wx: ready before the page-table dump" "no ready line" grep_log '^hv: ready cpus=2 '
check "wx: monitor listed the mappings" "$nmaps lines in $tlb" between "$nmaps" 100 100000000
check "wx: no mapping is writable and executable" "$nwx W+X mappings, e.g. $(awk 'substr($3,1,1)=="-" && substr($3,9,1)=="W"' "$tlb.maps" | head -n 1)" [ "$nwx" = 0 ]
check "wx: image text is mapped executable" "$ntext executable pages at or above __text_start" between "$ntext" 1 1000
# The direct map uses large pages (flags: the third is P for PS): RAM from
# 2 MiB up is 2 MiB-aligned here, so most of it must be.
nlarge=$(awk '$1 >= "ffff800000000000" && $1 < "ffff900000000000" && substr($3, 3, 1) == "P"' "$tlb.maps" | wc -l)
check "wx: direct map uses large pages" "$nlarge large mappings" between "$nlarge" 64 100000
# Every stack (2 CPUs x main, NMI, #DF, #MC) has its 4 pages mapped and the
# page below them unmapped (mm/stack.c: slot i at STACK_BASE + i * 5 pages).
guards_ok=0
for i in $(seq 0 7); do
	guard=$(printf '%016x' $((0xffffc00000000000 + i * 5 * 4096)))
	first=$(printf '%016x' $((0xffffc00000000000 + (i * 5 + 1) * 4096)))
	last=$(printf '%016x' $((0xffffc00000000000 + (i * 5 + 4) * 4096)))
	grep -q "^$guard:" "$tlb.maps" && continue
	grep -q "^$first:" "$tlb.maps" && grep -q "^$last:" "$tlb.maps" && guards_ok=$((guards_ok + 1))
done
check "wx: 8 stacks mapped, each with an unmapped guard page below" "$guards_ok of 8" [ "$guards_ok" = 8 ]
nlow=$(awk '$1 < "ffff800000000000"' "$tlb.maps" | wc -l)
check "wx: nothing mapped in the low half (trampoline page unmapped)" "$nlow low mappings, e.g. $(awk '$1 < "ffff800000000000"' "$tlb.maps" | head -n 1)" [ "$nlow" = 0 ]
check "wx: in-hypervisor audit agrees (same count, 0 W+X)" "audit '$audit', monitor $nmaps" [ "$audit" = "$nmaps 0" ]
