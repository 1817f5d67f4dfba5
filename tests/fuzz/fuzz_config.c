/* libFuzzer target for core/config.c and core/config_check.c: arbitrary bytes
 * are parsed from an exact-size copy (so ASan sees any read past len), checked
 * against a fixed 4-CPU platform whose check_image hook refuses some images,
 * then every message and the plan are produced. Build and run:
 *   clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     tests/fuzz/fuzz_config.c core/config.c core/config_check.c core/fmt.c \
 *     -o build/fuzz_config && build/fuzz_config -max_len=4096 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hv_config cfg;
static char plan[CONFIG_MAX_PARTITIONS * 2048];

static int check_image(const struct part_config *p, const void *img, uint64_t size, char *err,
		       size_t errlen)
{
	(void)img;
	if (size > p->memory || p->name[0] == 'x') {
		/* A long answer: the validator must cut it to its message size. */
		memset(err, 'e', errlen - 1);
		err[errlen - 1] = '\0';
		return -1;
	}
	return 0;
}

static void platform(struct config_platform *plat)
{
	static const char blob[64];
	static const char *const names[] = { "partitions.cfg", "hello.elf", "initrd.img",
					     "data.bin", "flat.bin" };

	memset(plat, 0, sizeof(*plat));
	plat->ncpus = 4;
	plat->free_bytes = 1ull << 30;
	plat->nmodules = sizeof(names) / sizeof(names[0]);
	for (unsigned i = 0; i < plat->nmodules; i++)
		plat->mods[i] = (struct config_module){ names[i], blob, sizeof(blob) };
	plat->check_image = check_image;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config_platform plat;
	struct config_msg_iter it = { 0 };
	char *copy = malloc(size ? size : 1);
	unsigned parsed, checked, invalid = 0, problems = 0;
	const char *m;

	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	platform(&plat);
	parsed = config_parse(copy, size, &cfg);
	free(copy); /* nothing parsed may point into the text */
	checked = config_check(&cfg, &plat);
	if (checked > parsed || cfg.nparts > CONFIG_MAX_PARTITIONS ||
	    cfg.nproblems > CONFIG_MAX_PROBLEMS)
		abort();
	while ((m = config_next_message(&cfg, &it)) != NULL) {
		if (strncmp(m, "config: line ", 13) || strlen(m) >= CONFIG_MSG_MAX)
			abort();
		problems++;
	}
	for (unsigned i = 0; i < cfg.nparts; i++) {
		const struct part_config *p = &cfg.parts[i];

		invalid += !p->valid;
		if (strlen(p->name) > CONFIG_NAME_MAX || strlen(p->cmdline) >= CONFIG_CMDLINE_MAX ||
		    p->nmodules > CONFIG_MAX_MODULES || p->ncpus > CONFIG_MAX_CPUS)
			abort();
		if (p->valid && (p->memory < CONFIG_MEMORY_MIN || p->memory > CONFIG_MEMORY_MAX ||
				 p->memory % CONFIG_PAGE_SIZE || !p->ncpus == !p->vcpus))
			abort();
		for (unsigned j = 0; p->valid && j < p->ncpus; j++)
			if (p->cpus[j] >= 4 || (j && p->cpus[j] == p->cpus[0]))
				abort();
	}
	if (invalid + checked != cfg.nparts || problems != invalid + cfg.nproblems)
		abort();
	if (config_plan(&cfg, plan, sizeof(plan)) >= sizeof(plan))
		abort();
	return 0;
}
