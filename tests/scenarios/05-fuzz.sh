# A short libFuzzer run of each target (tests/fuzz/): the config parser and
# validator, and the image loaders. `make fuzz FUZZ_SECONDS=N` runs longer.
# Any crash, sanitizer report or leak fails the run.

if make -s --no-print-directory fuzz-build >"$TEST_OUT/fuzz-build.log" 2>&1; then
	for f in build/fuzz/fuzz_*; do
		[ -x "$f" ] && [ -f "$f" ] || continue
		name=$(basename "$f")
		mkdir -p "$f.corpus" "$f.crashes"
		"$f" -max_total_time=10 -artifact_prefix="$f.crashes/" "$f.corpus" >"$TEST_OUT/$name.log" 2>&1
		status=$?
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$TEST_OUT/$name.log")
		check "$name: 10 s without a crash or leak ($runs runs)" "status $status, see $TEST_OUT/$name.log" \
			bash -c "[ $status = 0 ] && [ -n '$runs' ]"
	done
else
	fail "fuzz targets build" "$(tail -n 5 "$TEST_OUT/fuzz-build.log")"
fi
