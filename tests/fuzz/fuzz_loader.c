/* libFuzzer target for core/loader*.c: arbitrary bytes as a flat, Multiboot1
 * and Multiboot2 image, checked (loader_check) and loaded (loader_load) into
 * a 16 MiB emulated guest RAM with a PC-style reserved hole. Any write the
 * loader lets through outside RAM aborts. Built with clang by `make
 * fuzz-build` (FUZZ_SRCS_fuzz_loader), run by `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/loader.h"

#define RAM_SIZE (16u << 20)

static const struct guest_region map[] = {
	{ 0, 0x9fc00, GUEST_REGION_RAM },
	{ 0x9fc00, 0x100000 - 0x9fc00, GUEST_REGION_RESERVED },
	{ 0x100000, RAM_SIZE - 0x100000, GUEST_REGION_RAM },
};

static uint8_t *ram;
static volatile int checks;

static void in_ram_or_abort(uint64_t gpa, uint64_t len)
{
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		abort();
	if (gpa < map[1].base + map[1].len && map[1].base < gpa + len)
		abort();
}

static int ram_write(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
	(void)ctx;
	in_ram_or_abort(gpa, len);
	memcpy(ram + gpa, src, len);
	return 0;
}

static int ram_zero(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	in_ram_or_abort(gpa, len);
	memset(ram + gpa, 0, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct guest_ram gram = { RAM_SIZE, NULL, ram_write, ram_zero };
	static const enum image_format fmts[] = { IMAGE_FLAT, IMAGE_MULTIBOOT1, IMAGE_MULTIBOOT2 };
	/* The image's last bytes double as a module, so its size varies too. */
	struct loader_module mod = { "mod arg", data, size < 64 ? size : 64 };
	struct vcpu_state st;
	char err[160];

	if (!ram)
		ram = calloc(1, RAM_SIZE);
	for (unsigned i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct load_request rq = {
			.fmt = fmts[i], .img = data, .size = size,
			.flat_load = 0x100000, .flat_entry = 0x100000,
			.cmdline = "fuzz cmdline",
			.mods = fmts[i] == IMAGE_FLAT ? NULL : &mod,
			.mod_count = fmts[i] == IMAGE_FLAT ? 0 : 1,
			.regions = map, .region_count = 3,
		};

		/* Results only feed a sink: crashes and sanitizer reports are the finding. */
		checks += loader_check(fmts[i], data, size, RAM_SIZE, 0x100000, err, sizeof(err));
		checks += loader_check(fmts[i], data, size, 5ull << 30, 0x100000, err, sizeof(err));
		if (loader_load(&rq, &gram, &st, err, sizeof(err)) == LOADER_OK &&
		    (st.rip >= RAM_SIZE || st.rbx >= RAM_SIZE))
			abort();
	}
	return 0;
}
