# Shared helpers for tests/run and tests/scenarios/*.sh (sourced, not run).
# Every check prints "PASS name" or "FAIL name: why" and is counted once.

TEST_PASSED=0
TEST_FAILED=0
TEST_OUT=${TEST_OUT:-build/test}

pass() {
	TEST_PASSED=$((TEST_PASSED + 1))
	echo "PASS $1"
}

fail() {
	TEST_FAILED=$((TEST_FAILED + 1))
	echo "FAIL $1: $2"
}

check() { # check NAME WHY-IF-FAILS COMMAND...
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}

# boot NAME MACHINE IMAGE [tools/boot options]: boots into $TEST_OUT/NAME.log,
# sets BOOT_LOG and BOOT_STATUS; the console goes only to the log.
boot() {
	local name=$1 machine=$2 image=$3
	shift 3
	BOOT_LOG=$TEST_OUT/$name.log
	local t0=$SECONDS
	tools/boot "$machine" "$image" --log "$BOOT_LOG" "$@" >/dev/null 2>"$TEST_OUT/$name.boot"
	BOOT_STATUS=$?
	echo "---- $name: $machine $* -> status $BOOT_STATUS in $((SECONDS - t0))s ($(tail -n 1 "$TEST_OUT/$name.boot"))"
}

# The single ready line of a log, or nothing.
ready_line() {
	grep -a '^hv: ready ' "$1" | tr -d '\r'
}

between() { # between VALUE LOW HIGH: an integer in [LOW, HIGH]
	[[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

field() { # field LINE KEY -> value of KEY=value
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# expect_ready NAME CPUS MEM_MIB VIRT: the checks every normal boot must pass.
# "Powered off" holds only if the emulator ended by itself: without
# --no-reboot a reset or triple fault reboots (second ready line, timeout) or
# gives status 3, never 0.
expect_ready() {
	local name=$1 cpus=$2 mem=$3 virt=$4 line n total
	n=$(grep -ac '^hv: ready ' "$BOOT_LOG")
	line=$(ready_line "$BOOT_LOG")
	check "$name: exactly one ready line" "found $n" [ "$n" = 1 ]
	check "$name: cpus=$cpus" "got '$(field "$line" cpus)'" [ "$(field "$line" cpus)" = "$cpus" ]
	total=$(field "$line" mem_total_kib)
	# Firmware keeps some RAM; anything from 85% to 100% of what was given is right.
	check "$name: mem_total_kib within ${mem} MiB" "got '$total'" \
		between "$total" $((mem * 1024 * 85 / 100)) $((mem * 1024))
	check "$name: virt=$virt" "got '$(field "$line" virt)'" [ "$(field "$line" virt)" = "$virt" ]
	check "$name: no panic" "$(grep -a -m1 'panic' "$BOOT_LOG")" bash -c "! grep -aq 'panic' '$BOOT_LOG'"
	check "$name: powered off by ACPI S5" "status $BOOT_STATUS, $(tail -n1 "$TEST_OUT/$name.boot")" \
		bash -c "[ $BOOT_STATUS = 0 ] && grep -aq 'power: ACPI S5 power off' '$BOOT_LOG'"
}

# expect_log NAME REGEX [WHY]: the log has a line matching the extended regex.
expect_log() {
	check "$1: log shows /$2/" "${3:-no such line in $BOOT_LOG}" grep_log "$2"
}

grep_log() { # grep_log REGEX: the console log, without the UART's CRs
	tr -d '\r' < "$BOOT_LOG" | grep -aqE "$1"
}
