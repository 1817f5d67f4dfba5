# The vCPU scheduler and the virtual x2APIC, on bochs-intel (VMX) and qemu
# (SVM under TCG), 2 CPUs each:
# - sched-weights.cfg: six count.bin partitions with weights 1,1,1,1,2,2 on
#   the pool; each one's share of all iterations within 10% (relative) of
#   its weight's share.
# - sched-privacy.cfg: priv1 and priv2 time-sliced on CPU 0 keep their
#   patterns; idle sleeps at no cost (one print, one HLT, never preempted);
#   spin, alone on CPU 1, sees no slice end and no host interrupt.
# - smp.cfg: smp (vcpus = 2, both on CPU 0) finds its CPUs in the MADT,
#   starts its AP by INIT/SIPI, 100 IPIs each way; timer (pinned to CPU 1)
#   measures the periodic, TSC-deadline and one-shot timer.
# - smp-pinned.cfg: the same smp with its vCPUs on CPUs 0 and 1: the IPIs
#   cross CPUs, no slice ends.
# count.bin and timer.bin are assembled per machine (nasm -D): Bochs' TSC
# counts instructions while the hypervisor takes it for 3.5 GHz, QEMU's
# runs at the host's rate.

sched_asm() { # sched_asm MACHINE GUEST [NAME=VALUE...]: $TEST_OUT/sched-MACHINE/GUEST.bin
	local dir=$TEST_OUT/sched-$1 guest=$2 defs=() d
	shift 2
	for d in "$@"; do defs+=("-D$d"); done
	mkdir -p "$dir" &&
		nasm -f bin -Itests/guests/ -Werror "${defs[@]}" -o "$dir/$guest.bin" "tests/guests/$guest.asm"
}

sched_variants() { # sched_variants MACHINE COUNT_TICKS [TIMER NAME=VALUE...]
	local m=$1 ticks=$2
	shift 2
	sched_asm "$m" count "COUNT_TICKS=$ticks" && sched_asm "$m" timer "$@"
}

sched_differ() { # sched_differ A B: both set, and different
	[ -n "$1" ] && [ "$1" != "$2" ]
}

sched_exits_line() { # sched_exits_line PARTITION: its last exits line in the log
	sched_log | grep -a "^partition $1: exits " | tail -n 1
}

# sched_preempted PARTITION: its exits show slice ends or host interrupts (SVM
# has no preemption timer: a slice ends there by a host timer interrupt)
sched_preempted() {
	local line p i
	line=$(sched_exits_line "$1")
	p=$(field "$line" preempt) i=$(field "$line" intr)
	[ -n "$line" ] && [ $((${p:-0} + ${i:-0})) -gt 0 ]
}

sched_image() { # sched_image NAME CONFIG FILE...
	local name=$1 cfg=$2
	shift 2
	tools/mkimage --timeout 0 --cmdline "on_idle=poweroff" "$cfg" "$TEST_OUT/$name.iso" "$@" >/dev/null
}

sched_log() { # the console log without the UART's CRs
	tr -d '\r' < "$BOOT_LOG"
}

sched_no_fail() { # sched_no_fail NAME: no guest printed a FAIL line
	check "$1: no guest reported FAIL" "$(grep -a 'FAIL' "$BOOT_LOG" | head -n 1)" \
		bash -c "! grep -aq FAIL '$BOOT_LOG'"
}

# weights_checks NAME TICKS MEASURE...: every count line, and each partition's
# share against its weight's share (the weights read from the config), by
# each MEASURE: "count" (the guests' iterations: CPU time where every CPU runs
# at the same speed, as in Bochs) or "run_us" (the hypervisor's accounting of
# each vCPU's time; QEMU's TCG threads run at the host scheduler's whim, so
# there only this one is CPU time).
weights_checks() {
	local n=$1 ticks=$2 i name cnt share want dev ok shares m
	shift 2
	for i in 1 2 3 4 5 6; do
		expect_log $n "^\[w$i\] count: [0-9]+ iterations in $ticks ticks$"
		expect_log $n "^partition w$i: stopped: exited with code 0$"
		expect_log $n "^partition w$i: exits io=[0-9]+ cpuid=[0-9]+ msr=[0-9]+ hypercall=1 hlt=0 "
		# six vCPUs on two CPUs: every one of them is preempted
		check "$n: w$i was preempted" "$(sched_exits_line w$i)" sched_preempted w$i
	done
	for m in "$@"; do
	shares=$(sched_log | awk -v m="$m" '
		FNR == NR {
			if ($0 ~ /^\[partition /) { p = $2; sub(/\]$/, "", p) }
			else if ($1 == "weight" && $2 == "=") { w[p] = $3; wsum += $3 }
			next
		}
		m == "count" && /^\[w[1-6]\] count: [0-9]+ iterations in / {
			k = substr($1, 2, length($1) - 2); c[k] = $3; total += $3
		}
		m == "run_us" && /^partition w[1-6]: vcpu 0: run_us=[0-9]+ / {
			k = $2; sub(/:$/, "", k); v = $5; sub(/^run_us=/, "", v)
			c[k] = v; total += v
		}
		END {
			for (i = 1; i <= 6; i++) {
				k = "w" i; want = w[k] / wsum
				share = total ? c[k] / total : 0
				dev = want ? (share - want) / want : 1
				if (dev < 0) dev = -dev
				printf "%s %d %.4f %.4f %.1f %s\n", k, c[k], share, want, dev * 100,
					(k in c && dev <= 0.10) ? "ok" : "off"
			}
		}' tests/configs/sched-weights.cfg -)
	while read -r name cnt share want dev ok; do
		echo "     $name: $m $cnt, share $share of the total (weight's share $want, off by $dev%)"
		check "$n: $name's share by $m within 10% of its weight's ($share vs $want)" \
			"off by $dev%" [ "$ok" = ok ]
	done <<< "$shares"
	done
	echo "     $(sched_log | grep -a '^partition w[1-6]: vcpu 0: ' | sed 's/^partition //' | tr '\n' ' ')"
	sched_no_fail $n
}

# privacy_checks NAME: the privacy config's partitions.
privacy_checks() {
	local n=$1 p p1 p2
	for p in priv1 priv2; do
		expect_log $n "^\[$p\] privacy: pattern 0x[0-9a-f]+, [0-9]+ switches in [0-9]+ ticks \(longest gap [0-9]+ ticks\), [0-9]+ passes$"
		expect_log $n "^\[$p\] privacy: PASS: pattern intact over [0-9]+ switches$"
		expect_log $n "^partition $p: stopped: exited with code 0$"
		check "$n: $p was preempted" "$(sched_exits_line $p)" sched_preempted $p
		echo "     $(sched_log | grep -a "^\[$p\] privacy: pattern ")"
	done
	# the test means something only if the two patterns differ
	p1=$(sched_log | sed -n 's/^\[priv1\] privacy: pattern \(0x[0-9a-f]*\),.*/\1/p')
	p2=$(sched_log | sed -n 's/^\[priv2\] privacy: pattern \(0x[0-9a-f]*\),.*/\1/p')
	check "$n: priv1 and priv2 wrote different patterns ($p1, $p2)" "the same, or missing" \
		sched_differ "$p1" "$p2"
	# idle: one print (22 bytes), one HLT, then nothing, and never preempted
	expect_log $n "^\[idle\] idle: going to sleep$"
	expect_log $n "^partition idle: vCPU 0 asleep in HLT with nothing to wake it; exits while asleep 0, "
	expect_log $n "^partition idle: exits io=22 cpuid=0 msr=0 hypercall=0 hlt=1 nmi=[0-9]+ slat=[0-9]+ preempt=0 intr=0 other=[0-9]+;"
	# spin: alone on CPU 1, no tick and no host interrupt while it computes
	expect_log $n "^partition spin: running on cpu 1$"
	expect_log $n "^\[spin\] spin: start$"
	expect_log $n "^\[spin\] spin: done after [0-9]+ ticks$"
	expect_log $n "^partition spin: stopped: vCPU 0 halted at rip 0x[0-9a-f]+$"
	expect_log $n "^partition spin: exits io=[0-9]+ cpuid=0 msr=0 hypercall=0 hlt=1 nmi=[0-9]+ slat=[0-9]+ preempt=0 intr=0 other=[0-9]+;"
	echo "     $(sched_log | grep -a '^\[spin\] spin: done')"
	sched_no_fail $n
}

# smp_checks NAME: the smp partition.
smp_checks() {
	local n=$1 ups
	expect_log $n "^\[smp\] smp: ACPI: RSDP at 0x[0-9a-f]+ revision 2, XSDT at 0x[0-9a-f]+, MADT at 0x[0-9a-f]+$"
	expect_log $n "^\[smp\] smp: MADT lists 2 CPUs \(APIC IDs 0 1\)$"
	expect_log $n "^partition smp: vCPU 1 started on cpu [0-9]+ at 0x8000$"
	expect_log $n "^\[smp\] smp: AP 1 up$"
	ups=$(sched_log | grep -ac '^\[smp\] smp: AP [0-9]* up$')
	check "$n: the AP started once (second start-up IPI ignored)" "$ups up lines" [ "$ups" = 1 ]
	expect_log $n "^\[smp\] smp: 100 IPI round trips took [0-9]+ ticks, [0-9]+ each$"
	expect_log $n "^\[smp\] smp: PASS: 100 IPIs each way$"
	expect_log $n "^partition smp: stopped: exited with code 0$"
	echo "     $(sched_log | grep -a '^\[smp\] smp: 100 IPI round trips')"
}

# timer_checks NAME: the timer partition, pinned to CPU 1.
timer_checks() {
	local n=$1 t
	expect_log $n "^partition timer: running on cpu 1$"
	expect_log $n "^\[timer\] timer: TSC [1-9][0-9]* kHz, APIC timer [1-9][0-9]* kHz$"
	for t in periodic tsc-deadline; do
		expect_log $n "^\[timer\] timer: $t: [0-9]+ interrupts in [0-9]+ ticks, expected [0-9]+$"
		expect_log $n "^\[timer\] timer: PASS: $t within 5% of expected$"
	done
	expect_log $n "^\[timer\] timer: one-shot: woke after [0-9]+ ticks \(armed for [0-9]+\)$"
	expect_log $n "^\[timer\] timer: PASS: one-shot fired once, not early, the only wake-up from HLT$"
	expect_log $n "^partition timer: stopped: exited with code 0$"
	expect_log $n "^partition timer: exits .* preempt=0 "
	sched_log | grep -a -e '^\[timer\] timer: TSC' -e '^\[timer\] timer: [a-z-]*: ' | sed 's/^/     /'
}

for m in bochs-intel qemu; do
	if [ $m = bochs-intel ]; then
		virt=vmx limit=600 count_ticks=300000000 measures=(count run_us)
		timer_defs=(PERIOD_US=100 WINDOW_MS=20 ONESHOT_US=1000)
	else
		virt=svm limit=300 count_ticks=1000000000 measures=(run_us)
		timer_defs=(PERIOD_US=1000 WINDOW_MS=200 ONESHOT_US=5000)
	fi
	check "sched-$m: count.bin and timer.bin assemble for $m" "nasm failed" \
		sched_variants $m $count_ticks "${timer_defs[@]}"

	sched_image weights-$m tests/configs/sched-weights.cfg "$TEST_OUT/sched-$m/count.bin"
	boot weights-$m $m "$TEST_OUT/weights-$m.iso" --cpus 2 --timeout $limit
	expect_ready weights-$m 2 256 $virt
	weights_checks weights-$m $count_ticks "${measures[@]}"

	sched_image privacy-$m tests/configs/sched-privacy.cfg build/guests/privacy.bin \
		build/guests/spin.bin build/guests/idle.bin
	boot privacy-$m $m "$TEST_OUT/privacy-$m.iso" --cpus 2 --timeout $limit
	expect_ready privacy-$m 2 256 $virt
	privacy_checks privacy-$m

	sched_image smp-$m tests/configs/smp.cfg build/guests/smp.bin "$TEST_OUT/sched-$m/timer.bin"
	boot smp-$m $m "$TEST_OUT/smp-$m.iso" --cpus 2 --timeout $limit
	expect_ready smp-$m 2 256 $virt
	smp_checks smp-$m
	timer_checks smp-$m
	sched_no_fail smp-$m

	sched_image smp-pinned-$m tests/configs/smp-pinned.cfg build/guests/smp.bin
	boot smp-pinned-$m $m "$TEST_OUT/smp-pinned-$m.iso" --cpus 2 --timeout $limit
	expect_ready smp-pinned-$m 2 256 $virt
	expect_log smp-pinned-$m "^partition smp: running on cpu 0$"
	expect_log smp-pinned-$m "^partition smp: vCPU 1 started on cpu 1 at 0x8000$"
	smp_checks smp-pinned-$m
	expect_log smp-pinned-$m "^partition smp: exits .* preempt=0 "
	sched_no_fail smp-pinned-$m
done
