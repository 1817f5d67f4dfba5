/* Partition configuration: the first boot module, partitions.cfg (format in
 * docs/config.md). config_parse() reads the text into fixed-size tables (no
 * allocator); config_check() then holds every partition against the machine.
 * A bad partition is marked invalid with one message and the good ones stay
 * valid, so one typo never stops the rest from booting. Every message reads
 * "config: line N: MESSAGE". Parser and validator build on the host too
 * (tests/host/test_config.c, tests/fuzz/fuzz_config.c). */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"

#define CONFIG_MAX_PARTITIONS 16
#define CONFIG_NAME_MAX       31  /* partition name: [A-Za-z0-9_-]{1,31} */
#define CONFIG_MAX_CPUS       64  /* CPU ids and vcpus per partition, as MAX_CPUS */
#define CONFIG_FILE_MAX       64  /* module names, NUL included (boot_module.name) */
#define CONFIG_CMDLINE_MAX    256 /* NUL included */
#define CONFIG_MAX_MODULES    8   /* extra guest modules per partition */
#define CONFIG_MAX_PROBLEMS   16  /* file-level problems kept; the last says more were dropped */
#define CONFIG_MSG_MAX        160 /* one message, NUL included */

#define CONFIG_MEMORY_MIN (1ull << 20)
#define CONFIG_MEMORY_MAX (512ull << 30)
#define CONFIG_PAGE_SIZE  4096ull
#define CONFIG_REAL_MODE_TOP (1ull << 20)
#define CONFIG_MAX_RESTARTS  1000000u
#define CONFIG_WEIGHT_MAX    100u
#define CONFIG_SLICE_US_MIN  100u
#define CONFIG_SLICE_US_MAX  1000000u
#define CONFIG_SLICE_US_DEFAULT 10000u

/* The keys of a [partition] section, to find where each was given. */
enum config_key {
	CONFIG_KEY_CPUS, CONFIG_KEY_VCPUS, CONFIG_KEY_MEMORY, CONFIG_KEY_IMAGE, CONFIG_KEY_FORMAT,
	CONFIG_KEY_LOAD, CONFIG_KEY_ENTRY, CONFIG_KEY_CMDLINE, CONFIG_KEY_MODULES, CONFIG_KEY_UART,
	CONFIG_KEY_ON_STOP, CONFIG_KEY_DEBUG_EXIT, CONFIG_KEY_MODE, CONFIG_KEY_MAX_RESTARTS,
	CONFIG_KEY_WEIGHT, CONFIG_KEY_COUNT,
};

enum part_format { PART_FORMAT_FLAT, PART_FORMAT_MULTIBOOT1, PART_FORMAT_MULTIBOOT2 };
enum part_uart { PART_UART_COM1, PART_UART_NONE };
/* How a flat image is entered (core/loader.h). */
enum part_mode { PART_MODE_PROTECTED, PART_MODE_REAL, PART_MODE_LONG };
enum part_on_stop { PART_ON_STOP_HALT, PART_ON_STOP_RESTART };
enum hv_on_all_stopped { HV_ALL_STOPPED_STAY, HV_ALL_STOPPED_POWEROFF };

struct part_config {
	char name[CONFIG_NAME_MAX + 1];
	unsigned line;                       /* of its [partition NAME] header */
	bool valid;                          /* false: error says why */
	unsigned error_line;                 /* the line error names */
	char error[CONFIG_MSG_MAX];          /* "config: line N: ..." */
	unsigned key_line[CONFIG_KEY_COUNT]; /* where each key was given; 0: not given */

	uint16_t cpus[CONFIG_MAX_CPUS]; /* pinned physical CPUs, in the order given */
	unsigned ncpus;                 /* 0: not pinned, vcpus on the shared pool */
	unsigned vcpus;                 /* 0: pinned */
	uint64_t memory;                /* bytes */
	char image[CONFIG_FILE_MAX];    /* module name */
	enum part_format format;
	uint64_t load;  /* flat only: guest-physical load address */
	uint64_t entry; /* flat only: entry point, load unless given */
	enum part_mode mode; /* flat only */
	char cmdline[CONFIG_CMDLINE_MAX];
	char modules[CONFIG_MAX_MODULES][CONFIG_FILE_MAX];
	unsigned nmodules;
	enum part_uart uart;
	enum part_on_stop on_stop;
	unsigned max_restarts;          /* on_stop = restart: at most this many; 0: no limit */
	unsigned weight;                /* share on the pool, 1 to CONFIG_WEIGHT_MAX */
	uint16_t debug_exit;            /* isa-debug-exit port, 0: none */
};

struct config_problem {
	unsigned line;
	char msg[CONFIG_MSG_MAX]; /* "config: line N: ..." */
};

struct hv_config {
	enum hv_on_all_stopped on_all_stopped;
	unsigned hypervisor_line;     /* of [hypervisor]; 0: none */
	unsigned on_all_stopped_line; /* 0: not given */
	unsigned slice_us;            /* time slice on the shared pool */
	unsigned slice_us_line;
	struct part_config parts[CONFIG_MAX_PARTITIONS];
	unsigned nparts;
	/* Problems that belong to no partition (a key before any section, an
	 * unknown section, an invalid partition name, ...), in line order. */
	struct config_problem problems[CONFIG_MAX_PROBLEMS];
	unsigned nproblems;
};

/* A boot module the partitions may name (the config itself may be among them). */
struct config_module {
	const char *name;
	const void *data;
	uint64_t size;
};

/* What config_check() holds the partitions against. */
struct config_platform {
	unsigned ncpus;      /* CPU ids 0..ncpus-1 exist */
	uint64_t free_bytes; /* memory the partitions may share */
	unsigned nmodules;
	struct config_module mods[BOOT_MODS_MAX];
	/* Optional (NULL: skipped). Returns 0 when the image matches p->format and
	 * fits in p->memory, else nonzero with a reason in err (NUL-terminated). */
	int (*check_image)(const struct part_config *p, const void *data, uint64_t size, char *err,
			   size_t errlen);
};

/* Parses len bytes of text (no NUL needed; nothing past len is read) into c,
 * which it overwrites. Syntax errors in a partition's section mark that
 * partition invalid; the others go to c->problems. Returns the number of
 * partitions still valid. */
unsigned config_parse(const char *text, size_t len, struct hv_config *c);

/* Validates the partitions still valid against plat, in file order: memory
 * size bounds, required keys and those that go with the format, CPUs listed
 * once, in range and pinned by one partition only, at least one CPU left
 * for the shared pool when a partition uses it, modules present, memory
 * (cumulative: a partition larger than what is left is refused, later smaller
 * ones may still fit), then plat->check_image. Returns the number still valid. */
unsigned config_check(struct hv_config *c, const struct config_platform *plat);

/* Marks p invalid with "config: line LINE: MESSAGE", unless it already is
 * (the first problem found is the one reported). */
void config_fail(struct part_config *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Every message, file problems and invalid partitions merged in line order:
 * start with it = {0}; each call returns the next message, NULL at the end. */
struct config_msg_iter {
	unsigned problem, part;
};
const char *config_next_message(const struct hv_config *c, struct config_msg_iter *it);

/* "plan: NAME cpus=1,2 memory=64M image=... format=..." (no newline) for one
 * partition; returns the length it would have (like fmt_snprintf). */
int config_plan_line(const struct part_config *p, char *buf, size_t size);
/* One plan line per valid partition, each ending in '\n'; returns the full
 * length (the text is cut at size - 1 and always NUL-terminated). */
size_t config_plan(const struct hv_config *c, char *buf, size_t size);

/* A byte count in the largest unit that divides it: "64M", "4K", "1000". */
int config_format_size(uint64_t bytes, char *buf, size_t size);
const char *config_format_name(enum part_format f);
const char *config_uart_name(enum part_uart u);
const char *config_on_stop_name(enum part_on_stop s);
const char *config_mode_name(enum part_mode m);
const char *config_on_all_stopped_name(enum hv_on_all_stopped a);

#endif
