/* Host unit test for core/config.c and core/config_check.c: every field of
 * valid configs, the exact message of each kind of mistake, partitions judged
 * one by one, memory taken in file order, the check_image hook. Every text is
 * parsed from an exact-size heap copy without a NUL, so ASan catches any read
 * past len. */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "tests/host/check.h"

#define MB (1ull << 20)
#define GB (1ull << 30)

static struct hv_config cfg;
static struct config_platform plat;
static char msgs[4096]; /* every message, one per line */
static unsigned nmsgs;

static const char img_hello[] = "hello", img_initrd[] = "initrd", img_data[] = "data";

static void platform_reset(void)
{
	static const struct config_module mods[] = {
		{ "partitions.cfg", "", 0 },       { "hello.elf", img_hello, sizeof(img_hello) },
		{ "initrd.img", img_initrd, 6 },   { "data.bin", img_data, 4 },
		{ "flat.bin", img_hello, 5 },
	};

	memset(&plat, 0, sizeof(plat));
	plat.ncpus = 4;
	plat.free_bytes = GB;
	plat.nmodules = sizeof(mods) / sizeof(mods[0]);
	memcpy(plat.mods, mods, sizeof(mods));
}

static void collect(void)
{
	struct config_msg_iter it = { 0 };
	const char *m;
	size_t n = 0;

	nmsgs = 0;
	msgs[0] = '\0';
	while ((m = config_next_message(&cfg, &it)) != NULL) {
		nmsgs++;
		n += snprintf(msgs + n, n < sizeof(msgs) ? sizeof(msgs) - n : 0, "%s\n", m);
		if (n >= sizeof(msgs))
			n = sizeof(msgs) - 1;
	}
}

/* Parses the first len bytes of text from a heap copy of exactly len bytes. */
static unsigned parse_n(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	unsigned valid;

	if (len)
		memcpy(copy, text, len);
	memset(&cfg, 0xa5, sizeof(cfg)); /* everything must be set by the parser */
	config_parse(copy, len, &cfg);
	valid = config_check(&cfg, &plat);
	free(copy);
	collect();
	return valid;
}

static unsigned run(const char *text)
{
	return parse_n(text, strlen(text));
}

/* The text gives exactly one message, msg (without newline). */
static void expect(const char *text, const char *msg)
{
	char want[256];

	run(text);
	snprintf(want, sizeof(want), "%s\n", msg);
	CHECK(nmsgs == 1 && !strcmp(msgs, want), "expected \"%s\", got %u message(s):\n%s",
	      msg, nmsgs, msgs);
}

static struct part_config *part(const char *name)
{
	for (unsigned i = 0; i < cfg.nparts; i++)
		if (!strcmp(cfg.parts[i].name, name))
			return &cfg.parts[i];
	return NULL;
}

/* The full example of docs/config.md. */
static const char full_example[] =
	"# partitions.cfg: two partitions on a 4-CPU machine\n"
	"[hypervisor]\n"
	"on_all_stopped = poweroff\n"
	"\n"
	"[partition web]\n"
	"cpus = 1,2\n"
	"memory = 64M\n"
	"image = hello.elf\n"
	"format = multiboot2\n"
	"cmdline = console=ttyS0 root=/dev/ram0 # not a comment\n"
	"modules = initrd.img, data.bin\n"
	"uart = com1\n"
	"on_stop = restart\n"
	"\n"
	"; a flat binary on the shared pool\n"
	"[partition tiny]\n"
	"vcpus = 2\n"
	"memory = 1M\n"
	"image = flat.bin\n"
	"format = flat\n"
	"load = 0x100000\n"
	"entry = 0x100010\n"
	"uart = none\n";

/* debug_exit: the port is kept and shown in the plan. */
static void test_debug_exit(void)
{
	static const char text[] = "[partition a]\ncpus = 0\nmemory = 64M\nimage = flat.bin\n"
				   "format = flat\nload = 0x100000\ndebug_exit = 0xf4\n";
	struct part_config *a;
	char plan[512];

	CHECK(run(text) == 1 && nmsgs == 0, "debug_exit config: %s", msgs);
	a = part("a");
	CHECK(a && a->debug_exit == 0xf4, "debug_exit port");
	if (a) {
		config_plan_line(a, plan, sizeof(plan));
		CHECK(strstr(plan, " debug_exit=0xf4"), "plan shows debug_exit: %s", plan);
		CHECK(!strstr(plan, "mode="), "plan leaves out the default mode: %s", plan);
	}
}

static void test_full_example(void)
{
	struct part_config *w, *t;
	char plan[512];

	CHECK(run(full_example) == 2 && nmsgs == 0, "full example: %s", msgs);
	CHECK(cfg.on_all_stopped == HV_ALL_STOPPED_POWEROFF && cfg.hypervisor_line == 2 &&
	      cfg.on_all_stopped_line == 3 && cfg.nparts == 2 && cfg.nproblems == 0,
	      "hypervisor section");
	w = part("web");
	t = part("tiny");
	CHECK(w && t && w == &cfg.parts[0], "both partitions, in order");
	if (!w || !t)
		return;
	CHECK(w->valid && w->line == 5 && w->ncpus == 2 && w->cpus[0] == 1 && w->cpus[1] == 2 &&
	      w->vcpus == 0, "web cpus");
	CHECK(w->memory == 64 * MB && !strcmp(w->image, "hello.elf") &&
	      w->format == PART_FORMAT_MULTIBOOT2, "web memory, image, format");
	CHECK(!strcmp(w->cmdline, "console=ttyS0 root=/dev/ram0 # not a comment"), "web cmdline '%s'",
	      w->cmdline);
	CHECK(w->nmodules == 2 && !strcmp(w->modules[0], "initrd.img") &&
	      !strcmp(w->modules[1], "data.bin"), "web modules");
	CHECK(w->uart == PART_UART_COM1 && w->on_stop == PART_ON_STOP_RESTART, "web uart, on_stop");
	CHECK(w->key_line[CONFIG_KEY_CPUS] == 6 && w->key_line[CONFIG_KEY_ON_STOP] == 13 &&
	      w->key_line[CONFIG_KEY_VCPUS] == 0 && w->key_line[CONFIG_KEY_LOAD] == 0, "web key lines");
	CHECK(t->valid && t->line == 16 && t->ncpus == 0 && t->vcpus == 2 && t->memory == MB &&
	      !strcmp(t->image, "flat.bin") && t->format == PART_FORMAT_FLAT, "tiny fields");
	CHECK(t->load == 0x100000 && t->entry == 0x100010 && t->uart == PART_UART_NONE &&
	      t->on_stop == PART_ON_STOP_HALT && t->cmdline[0] == '\0' && t->nmodules == 0,
	      "tiny load, entry, defaults");
	config_plan(&cfg, plan, sizeof(plan));
	CHECK(!strcmp(plan, "plan: web cpus=1,2 memory=64M image=hello.elf format=multiboot2 "
			    "modules=initrd.img,data.bin uart=com1 on_stop=restart "
			    "cmdline=\"console=ttyS0 root=/dev/ram0 # not a comment\"\n"
			    "plan: tiny vcpus=2 memory=1M image=flat.bin format=flat load=0x100000 "
			    "entry=0x100010 uart=none on_stop=halt\n"),
	      "plan:\n%s", plan);
}

static const char minimal[] = "[partition m]\nvcpus = 1\nmemory = 1M\nimage = hello.elf\n"
			      "format = multiboot1\n";

static void test_minimal(void)
{
	struct part_config *p = &cfg.parts[0];
	char line[256];

	CHECK(run(minimal) == 1 && nmsgs == 0 && cfg.nparts == 1, "minimal: %s", msgs);
	CHECK(cfg.on_all_stopped == HV_ALL_STOPPED_STAY && cfg.hypervisor_line == 0,
	      "on_all_stopped default stay");
	CHECK(!strcmp(p->name, "m") && p->vcpus == 1 && p->ncpus == 0 && p->memory == MB &&
	      p->format == PART_FORMAT_MULTIBOOT1 && p->uart == PART_UART_COM1 &&
	      p->on_stop == PART_ON_STOP_HALT && !p->cmdline[0] && !p->nmodules && !p->load &&
	      !p->entry, "minimal defaults");
	CHECK(config_plan_line(p, line, sizeof(line)) == (int)strlen(line) &&
	      !strcmp(line, "plan: m vcpus=1 memory=1M image=hello.elf format=multiboot1 "
			    "uart=com1 on_stop=halt"), "plan line '%s'", line);
	CHECK(config_plan_line(p, line, 10) > 10 && !strcmp(line, "plan: m v"), "plan truncated");
	CHECK(config_plan(&cfg, NULL, 0) == strlen("plan: m vcpus=1 memory=1M image=hello.elf "
						     "format=multiboot1 uart=com1 on_stop=halt\n"),
	      "plan length with no buffer");
	CHECK(run("") == 0 && nmsgs == 0 && cfg.nparts == 0, "empty file");
	CHECK(run("# nothing\n\n   \n; here\n") == 0 && nmsgs == 0, "comments only");
	CHECK(parse_n(NULL, 0) == 0 && nmsgs == 0, "NULL, 0");
}

static void test_layout_variants(void)
{
	static const char *const texts[] = {
		/* no spaces, tabs, indented comments */
		"\t# comment\n[partition m]\nvcpus=1\n  ; another\nmemory=1M\nimage=hello.elf\n"
		"format=multiboot1",
		/* CRLF everywhere, a blank CRLF line */
		"[partition m]\r\nvcpus = 1\r\n\r\nmemory = 1M\r\nimage = hello.elf\r\n"
		"format = multiboot1\r\n",
		/* spaces inside the header and around everything */
		"   [  partition \t m  ]   \n  vcpus   =\t1  \n memory = 1024K\nimage =hello.elf\n"
		"format= multiboot1   \n",
		/* other ways to write 1M */
		"[partition m]\nvcpus = 0x1\nmemory = 1048576\nimage = hello.elf\nformat = multiboot1\n",
		"[partition m]\nvcpus = 1\nmemory = 0x100000\nimage = hello.elf\nformat = multiboot1\n",
		"[partition m]\nvcpus = 1\nmemory = 1 m\nimage = hello.elf\nformat = multiboot1\n",
	};

	for (unsigned i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct part_config *p = &cfg.parts[0];

		CHECK(run(texts[i]) == 1 && nmsgs == 0, "variant %u: %s", i, msgs);
		CHECK(!strcmp(p->name, "m") && p->vcpus == 1 && p->memory == MB &&
		      !strcmp(p->image, "hello.elf") && p->format == PART_FORMAT_MULTIBOOT1,
		      "variant %u fields", i);
	}
	CHECK(run("[partition m]\r\ncpus = 3 , 0\r\nmemory = 512M\r\nimage = hello.elf\r\n"
		  "format = multiboot2\r\ncmdline = a b \r\nmodules = data.bin\r\n") == 1 &&
	      cfg.parts[0].ncpus == 2 && cfg.parts[0].cpus[0] == 3 && cfg.parts[0].cpus[1] == 0 &&
	      cfg.parts[0].memory == 512 * MB && !strcmp(cfg.parts[0].cmdline, "a b") &&
	      !strcmp(cfg.parts[0].modules[0], "data.bin"), "CRLF, every value trimmed: %s", msgs);
	CHECK(run("[partition m]\nvcpus = 1\nmemory = 1M\nimage = hello.elf\nformat = multiboot2\n"
		  "cmdline =\n") == 1 && !cfg.parts[0].cmdline[0], "empty cmdline");
	CHECK(run("[partition f]\nvcpus = 1\nmemory = 1M\nimage = flat.bin\nformat = flat\n"
		  "load = 0x200000") == 1 && cfg.parts[0].entry == 0x200000, "entry defaults to load");
	CHECK(run("[partition a-B_9]\nvcpus = 64\nmemory = 512G\nimage = hello.elf\n"
		  "format = multiboot2\n") == 0, "512G is not free here");
	plat.free_bytes = 512 * GB;
	CHECK(run("[partition a-B_9]\nvcpus = 64\nmemory = 512G\nimage = hello.elf\n"
		  "format = multiboot2\n") == 1 && cfg.parts[0].vcpus == 64, "largest values: %s", msgs);
	platform_reset();
	CHECK(run("[partition abcdefghijklmnopqrstuvwxyz01234]\nvcpus = 1\nmemory = 1M\n"
		  "image = hello.elf\nformat = multiboot2\n") == 1, "31-character name");
	CHECK(run("[hypervisor]\non_all_stopped = stay\n") == 0 && nmsgs == 0 &&
	      cfg.on_all_stopped == HV_ALL_STOPPED_STAY && cfg.slice_us == 10000,
	      "explicit stay, no partitions, default slice");
	CHECK(run("[hypervisor]\nslice_us = 2500\non_all_stopped = poweroff\n") == 0 && nmsgs == 0 &&
	      cfg.slice_us == 2500 && cfg.on_all_stopped == HV_ALL_STOPPED_POWEROFF, "slice_us: %s", msgs);
	CHECK(run("[partition w]\nvcpus = 1\nmemory = 1M\nimage = hello.elf\nformat = multiboot2\n"
		  "weight = 7\n") == 1 && cfg.parts[0].weight == 7, "weight: %s", msgs);
	{
		char plan[512];

		config_plan(&cfg, plan, sizeof(plan));
		CHECK(strstr(plan, " weight=7"), "plan shows the weight: %s", plan);
	}
	CHECK(run("[partition w]\nvcpus = 1\nmemory = 1M\nimage = hello.elf\nformat = multiboot2\n") == 1 &&
	      cfg.parts[0].weight == 1, "default weight 1");
}

#define BASE "[partition a]\ncpus = 0\nmemory = 64M\nimage = hello.elf\nformat = multiboot2\n"
#define FLAT "[partition a]\ncpus = 0\nmemory = 64M\nimage = flat.bin\nformat = flat\n"
#define BASE_B "[partition b]\ncpus = 1\nmemory = 64M\nimage = hello.elf\nformat = multiboot2\n"
#define X40 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const struct {
	const char *text, *msg;
} bad[] = {
	/* file-level */
	{ "memory = 64M\n" BASE, "config: line 1: key 'memory' before any section" },
	{ "hello\n" BASE, "config: line 1: expected 'key = value', got 'hello'" },
	{ "[partition a\ncpus = 0\n", "config: line 1: missing ']' in '[partition a'" },
	{ "[partitions]\nx = 1\n" BASE, "config: line 1: unknown section '[partitions]'" },
	{ "[partition a.b]\nfoo\n", "config: line 1: partition name 'a.b' invalid "
				    "(1 to 31 of A-Z a-z 0-9 _ -)" },
	{ "[partition]\n", "config: line 1: partition name '' invalid (1 to 31 of A-Z a-z 0-9 _ -)" },
	{ "[partition abcdefghijklmnopqrstuvwxyz012345]\n",
	  "config: line 1: partition name 'abcdefghijklmnopqrstuvwxyz012345' invalid "
	  "(1 to 31 of A-Z a-z 0-9 _ -)" },
	{ "[hypervisor]\n[hypervisor]\non_all_stopped = x\n",
	  "config: line 2: section [hypervisor] given twice (first at line 1)" },
	{ "[hypervisor]\ncolour = red\n", "config: line 2: unknown key 'colour'" },
	{ "[hypervisor]\non_all_stopped = reboot\n",
	  "config: line 2: unknown on_all_stopped 'reboot' (stay or poweroff)" },
	{ "[hypervisor]\non_all_stopped =\n", "config: line 2: empty value for 'on_all_stopped'" },
	{ "[hypervisor]\non_all_stopped = stay\non_all_stopped = stay\n",
	  "config: line 3: duplicate key 'on_all_stopped' (first at line 2)" },
	{ "[hypervisor] x\n", "config: line 1: unexpected text after ']'" },
	{ "[hypervisor]\nslice_us = 99\n", "config: line 2: bad slice_us '99' (100 to 1000000 microseconds)" },
	{ "[hypervisor]\nslice_us = 1000001\n",
	  "config: line 2: bad slice_us '1000001' (100 to 1000000 microseconds)" },
	{ "[hypervisor]\nslice_us = 100\nslice_us = 200\n",
	  "config: line 3: duplicate key 'slice_us' (first at line 2)" },
	{ BASE "weight = 2\n",
	  "config: line 6: 'weight' given with 'cpus' (weights share the pool of 'vcpus' partitions)" },
	{ "[partition a]\nvcpus = 1\nweight = 0\n", "config: line 3: bad weight '0' (1 to 100)" },
	{ "[partition a]\nvcpus = 1\nweight = 101\n", "config: line 3: bad weight '101' (1 to 100)" },
	/* syntax inside a partition */
	{ BASE "colour = red\n", "config: line 6: unknown key 'colour'" },
	{ BASE "Memory = 1M\n", "config: line 6: unknown key 'Memory'" },
	{ BASE "cmdline\n", "config: line 6: expected 'key = value', got 'cmdline'" },
	{ BASE " = 5\n", "config: line 6: missing key before '='" },
	{ BASE "memory = 32M\n", "config: line 6: duplicate key 'memory' (first at line 3)" },
	{ "[partition a]\ncpus = 0\nmemory =\nimage = hello.elf\nformat = multiboot2\n",
	  "config: line 3: empty value for 'memory'" },
	{ BASE "uart = \t \n", "config: line 6: empty value for 'uart'" },
	{ "[partition a] #\ncpus = 0\n", "config: line 1: unexpected text after ']'" },
	{ BASE "[partition a]\ncpus = 1\n",
	  "config: line 6: partition 'a' defined twice (first at line 1)" },
	{ BASE X40 "y = 1\n", "config: line 6: unknown key '" X40 "...'" },
	/* values */
	{ BASE "on_stop = reboot\n", "config: line 6: unknown on_stop 'reboot' (halt or restart)" },
	{ BASE "uart = com2\n", "config: line 6: unknown uart 'com2' (com1 or none)" },
	{ "[partition a]\ncpus = 0\nmemory = 64M\nimage = hello.elf\nformat = elf\n",
	  "config: line 5: unknown format 'elf' (flat, multiboot1 or multiboot2)" },
	{ "[partition a]\ncpus = 0\nmemory = 64Q\n",
	  "config: line 3: bad size '64Q' for memory (bytes, or a number with K, M or G)" },
	{ "[partition a]\ncpus = 0\nmemory = M\n",
	  "config: line 3: bad size 'M' for memory (bytes, or a number with K, M or G)" },
	{ "[partition a]\ncpus = 0\nmemory = 99999999999999999999\n",
	  "config: line 3: bad size '99999999999999999999' for memory (bytes, or a number with K, "
	  "M or G)" },
	{ "[partition a]\ncpus = 0\nmemory = 0x400000000000000G\n",
	  "config: line 3: bad size '0x400000000000000G' for memory (bytes, or a number with K, "
	  "M or G)" },
	{ "[partition a]\ncpus = 0\nmemory = 2049K\n",
	  "config: line 3: memory 2049K is not a multiple of 4K" },
	{ "[partition a]\ncpus = 0\nmemory = 1000\n",
	  "config: line 3: memory 1000 is not a multiple of 4K" },
	{ "[partition a]\ncpus = 0\nmemory = 512K\n", "config: line 3: memory 512K is less than 1M" },
	{ "[partition a]\ncpus = 0\nmemory = 0\n", "config: line 3: memory 0 is less than 1M" },
	{ "[partition a]\ncpus = 0\nmemory = 513G\n", "config: line 3: memory 513G is more than 512G" },
	{ "[partition a]\ncpus = 0,,1\n", "config: line 2: bad cpu list '0,,1'" },
	{ "[partition a]\ncpus = 0,1,\n", "config: line 2: bad cpu list '0,1,'" },
	{ "[partition a]\ncpus = one\n", "config: line 2: bad cpu list 'one'" },
	{ "[partition a]\ncpus = -1\n", "config: line 2: bad cpu list '-1'" },
	{ "[partition a]\ncpus = 65536\n", "config: line 2: bad cpu list '65536'" },
	{ "[partition a]\ncpus = 1, 2, 1\n", "config: line 2: cpu 1 listed twice" },
	{ "[partition a]\nvcpus = 0\n", "config: line 2: bad vcpus '0' (1 to 64)" },
	{ "[partition a]\nvcpus = 65\n", "config: line 2: bad vcpus '65' (1 to 64)" },
	{ "[partition a]\nvcpus = 2x\n", "config: line 2: bad vcpus '2x' (1 to 64)" },
	{ FLAT "load = 0xZZ\n", "config: line 6: bad address '0xZZ' for load" },
	{ FLAT "load = 0x\n", "config: line 6: bad address '0x' for load" },
	{ FLAT "load = 0x1000\ndebug_exit = 0\n", "config: line 7: bad port '0' for debug_exit (1 to 0xffff)" },
	{ FLAT "load = 0x1000\ndebug_exit = 0x10000\n",
	  "config: line 7: bad port '0x10000' for debug_exit (1 to 0xffff)" },
	{ FLAT "load = 0x1000\nentry = 1 2\n", "config: line 7: bad address '1 2' for entry" },
	{ FLAT "load = 0x1000\nmode = virtual86\n",
	  "config: line 7: unknown mode 'virtual86' (real, protected or long)" },
	{ FLAT "load = 0x100000\nmode = real\n",
	  "config: line 6: entry 0x100000 is not below 1M, where mode real starts" },
	{ FLAT "load = 0x8000\nentry = 0x100000\nmode = real\n",
	  "config: line 7: entry 0x100000 is not below 1M, where mode real starts" },
	{ BASE "mode = long\n", "config: line 6: 'mode' given for format multiboot2 (flat only)" },
	{ BASE "max_restarts = 3\n",
	  "config: line 6: 'max_restarts' given without on_stop = restart" },
	{ BASE "on_stop = restart\nmax_restarts = 0\n",
	  "config: line 7: bad max_restarts '0' (1 to 1000000)" },
	{ BASE "on_stop = restart\nmax_restarts = 1000001\n",
	  "config: line 7: bad max_restarts '1000001' (1 to 1000000)" },
	{ BASE "modules = data.bin,,initrd.img\n",
	  "config: line 6: empty module name in 'data.bin,,initrd.img'" },
	{ BASE "modules = a,b,c,d,e,f,g,h,i\n", "config: line 6: more than 8 modules" },
	{ BASE "modules = " X40 X40 "\n",
	  "config: line 6: module name '" X40 "...' too long (at most 63 characters)" },
	{ BASE "image = x\n", "config: line 6: duplicate key 'image' (first at line 4)" },
	{ "[partition a]\nimage = " X40 X40 "\n",
	  "config: line 2: image name too long (at most 63 characters)" },
	/* required keys and combinations (validator) */
	{ "[partition a]\ncpus = 0\nmemory = 64M\nformat = multiboot2\n",
	  "config: line 1: missing key 'image'" },
	{ "[partition a]\ncpus = 0\nimage = hello.elf\nformat = multiboot2\n",
	  "config: line 1: missing key 'memory'" },
	{ "[partition a]\ncpus = 0\nmemory = 64M\nimage = hello.elf\n",
	  "config: line 1: missing key 'format'" },
	{ "[partition a]\nmemory = 64M\nimage = hello.elf\nformat = multiboot2\n",
	  "config: line 1: missing key 'cpus' or 'vcpus'" },
	{ "[partition a]\n", "config: line 1: missing key 'image'" },
	{ BASE "vcpus = 2\n", "config: line 6: both 'cpus' and 'vcpus' given (one or the other)" },
	{ "[partition a]\nvcpus = 2\ncpus = 0\nmemory = 64M\nimage = hello.elf\n"
	  "format = multiboot2\n",
	  "config: line 3: both 'cpus' and 'vcpus' given (one or the other)" },
	{ FLAT, "config: line 5: format flat needs 'load'" },
	{ FLAT "load = 0x100000\nmodules = data.bin\n",
	  "config: line 7: 'modules' given for format flat (multiboot formats only)" },
	{ FLAT "load = 0x100000\ncmdline = quiet\n",
	  "config: line 7: 'cmdline' given for format flat (multiboot formats only)" },
	{ BASE "load = 0x100000\n", "config: line 6: 'load' given for format multiboot2 (flat only)" },
	{ "[partition a]\ncpus = 0\nmemory = 64M\nimage = hello.elf\nformat = multiboot1\n"
	  "entry = 0x100000\n", "config: line 6: 'entry' given for format multiboot1 (flat only)" },
	/* against the machine (4 CPUs, 1G free) */
	{ "[partition a]\ncpus = 0, 5\nmemory = 64M\nimage = hello.elf\nformat = multiboot2\n",
	  "config: line 2: cpu 5 out of range (this machine has 4 CPUs)" },
	{ BASE "[partition b]\ncpus = 2,0\nmemory = 1M\nimage = hello.elf\nformat = multiboot2\n",
	  "config: line 7: cpu 0 already pinned by partition 'a'" },
	{ "[partition a]\ncpus = 0\nmemory = 4G\nimage = hello.elf\nformat = multiboot2\n",
	  "config: line 3: memory 4G more than is free (1G left)" },
	{ "[partition a]\ncpus = 0\nmemory = 64M\nimage = nope.elf\nformat = multiboot2\n",
	  "config: line 4: module 'nope.elf' not found" },
	{ BASE "modules = initrd.img, x.bin\n", "config: line 6: module 'x.bin' not found" },
	{ "[partition a]\nvcpus = 2\nmemory = 64M\nimage = hello.elf\nformat = multiboot2\n"
	  "[partition b]\ncpus = 0,1,2,3\nmemory = 64M\nimage = hello.elf\nformat = multiboot2\n",
	  "config: line 7: no CPU would be left for the shared pool of partition 'a'" },
	{ "[partition a]\ncpus = 3,2,1,0\nmemory = 64M\nimage = hello.elf\nformat = multiboot2\n"
	  "[partition b]\nvcpus = 1\nmemory = 64M\nimage = hello.elf\nformat = multiboot2\n",
	  "config: line 7: no CPU left for the shared pool (all 4 pinned)" },
};

/* Lists and strings past their limits. */
static void bad_generated(void)
{
	char text[1024], want[128];
	int n = snprintf(text, sizeof(text), "[partition a]\ncpus = 0");

	for (unsigned i = 1; i <= CONFIG_MAX_CPUS; i++)
		n += snprintf(text + n, sizeof(text) - n, ",%u", i);
	snprintf(text + n, sizeof(text) - n, "\n");
	expect(text, "config: line 2: more than 64 cpus listed");
	n = snprintf(text, sizeof(text), BASE "cmdline = ");
	for (unsigned i = 0; i < CONFIG_CMDLINE_MAX; i++)
		text[n++] = 'c';
	text[n] = '\0';
	expect(text, "config: line 6: cmdline too long (at most 255 characters)");
	text[n - 1] = '\0'; /* 255 fits */
	CHECK(run(text) == 1 && strlen(cfg.parts[0].cmdline) == CONFIG_CMDLINE_MAX - 1,
	      "longest cmdline");
	snprintf(text, sizeof(text), "[partition a]\nvcpus = 1\nmemory = 0xFfFfFfFf000\n");
	run(text);
	CHECK(cfg.parts[0].memory == 0xFFFFFFFF000ull, "hex digits of both cases");
	snprintf(want, sizeof(want), "config: line 3: memory %lluK is more than 512G",
		 0xFFFFFFFF000ull >> 10);
	CHECK(!strcmp(cfg.parts[0].error, want), "%s", cfg.parts[0].error);
}

static void test_bad(void)
{
	unsigned n = sizeof(bad) / sizeof(bad[0]);

	for (unsigned i = 0; i < n; i++)
		expect(bad[i].text, bad[i].msg);
	CHECK(n >= 30, "%u invalid cases", n);
	/* A partition with a problem is invalid; the file-level ones leave the good ones be. */
	run(BASE "colour = red\n");
	CHECK(cfg.nparts == 1 && !cfg.parts[0].valid && cfg.parts[0].error_line == 6 &&
	      cfg.nproblems == 0, "partition invalid, no file problem");
	run("memory = 64M\n" BASE);
	CHECK(cfg.nparts == 1 && cfg.parts[0].valid && cfg.nproblems == 1 &&
	      cfg.problems[0].line == 1, "file problem, partition still valid");
	run("[partition a.b]\ncpus = 0\n" BASE);
	CHECK(cfg.nparts == 1 && cfg.parts[0].valid && cfg.parts[0].line == 3,
	      "keys of a refused section are skipped");
	/* only the first problem of a partition is reported */
	run("[partition a]\ncolour = red\nmemory = 1Q\n");
	CHECK(nmsgs == 1 && !strcmp(msgs, "config: line 2: unknown key 'colour'\n"), "first only");
	bad_generated();
	plat.ncpus = 1;
	expect("[partition a]\ncpus = 1\nmemory = 1M\nimage = hello.elf\nformat = multiboot2\n",
	       "config: line 2: cpu 1 out of range "
					      "(this machine has 1 CPU)");
	platform_reset();
}

static void test_too_many(void)
{
	char text[8192];
	size_t n = 0;

	for (unsigned i = 0; i <= CONFIG_MAX_PARTITIONS; i++)
		n += snprintf(text + n, sizeof(text) - n,
			      "[partition p%u]\nvcpus = 1\nmemory = 1M\nimage = hello.elf\n"
			      "format = multiboot2\n\n", i);
	CHECK(run(text) == CONFIG_MAX_PARTITIONS && cfg.nparts == CONFIG_MAX_PARTITIONS,
	      "16 partitions kept");
	CHECK(nmsgs == 1 && !strcmp(msgs, "config: line 97: too many partitions (at most 16)\n"),
	      "17th: %s", msgs);

	n = 0;
	for (unsigned i = 0; i < 20; i++)
		n += snprintf(text + n, sizeof(text) - n, "junk%u\n", i);
	run(text);
	CHECK(nmsgs == CONFIG_MAX_PROBLEMS && cfg.nproblems == CONFIG_MAX_PROBLEMS,
	      "problems capped: %u", nmsgs);
	CHECK(!strcmp(cfg.problems[14].msg, "config: line 15: expected 'key = value', got 'junk14'") &&
	      !strcmp(cfg.problems[15].msg,
		      "config: line 16: too many problems, the rest are not listed"),
	      "last slot says so: %s", cfg.problems[15].msg);
}

static void test_mixed(void)
{
	static const char text[] =
		"[hypervisor]\n"                                                  /* 1 */
		"on_all_stopped = poweroff\n"                                     /* 2 */
		"[partition good1]\ncpus = 1\nmemory = 16M\nimage = hello.elf\n" /* 3-6 */
		"format = multiboot1\n"                                           /* 7 */
		"[partition bad1]\nvcpus = 1\nmemory = 16M\nimage = hello.elf\n" /* 8-11 */
		"format = multiboot2\n"                                           /* 12 */
		"stray = 1\n"                                                     /* 13 */
		"[partition good2]\nvcpus = 2\nmemory = 16M\nimage = flat.bin\n" /* 14-17 */
		"format = flat\nload = 0x100000\n"                                /* 18-19 */
		"[nonsense]\n"                                                    /* 20 */
		"[partition bad2]\ncpus = 7\nmemory = 16M\nimage = hello.elf\n"  /* 21-24 */
		"format = multiboot1\n"                                           /* 25 */
		"[partition good3]\ncpus = 0\nmemory = 16M\nimage = hello.elf\n" /* 26-29 */
		"format = multiboot2\nmodules = initrd.img\n";                    /* 30-31 */
	char plan[1024];

	CHECK(run(text) == 3 && cfg.nparts == 5, "three of five valid");
	CHECK(part("good1")->valid && part("good2")->valid && part("good3")->valid,
	      "good ones valid");
	CHECK(!part("bad1")->valid && !part("bad2")->valid, "bad ones invalid");
	CHECK(!strcmp(msgs, "config: line 13: unknown key 'stray'\n"
			    "config: line 20: unknown section '[nonsense]'\n"
			    "config: line 22: cpu 7 out of range (this machine has 4 CPUs)\n"),
	      "messages in line order:\n%s", msgs);
	CHECK(!strcmp(part("bad1")->error, "config: line 13: unknown key 'stray'") &&
	      part("bad1")->error_line == 13 && part("bad2")->error_line == 22, "errors stored");
	config_plan(&cfg, plan, sizeof(plan));
	CHECK(!strcmp(plan, "plan: good1 cpus=1 memory=16M image=hello.elf format=multiboot1 "
			    "uart=com1 on_stop=halt\n"
			    "plan: good2 vcpus=2 memory=16M image=flat.bin format=flat "
			    "load=0x100000 entry=0x100000 uart=com1 on_stop=halt\n"
			    "plan: good3 cpus=0 memory=16M image=hello.elf format=multiboot2 "
			    "modules=initrd.img uart=com1 on_stop=halt\n"),
	      "plan:\n%s", plan);
	CHECK(cfg.on_all_stopped == HV_ALL_STOPPED_POWEROFF, "hypervisor setting kept");
}

static void test_memory_order(void)
{
	static const char text[] =
		"[partition a]\nvcpus = 1\nmemory = 512M\nimage = hello.elf\nformat = multiboot2\n"
		"[partition b]\nvcpus = 1\nmemory = 768M\nimage = hello.elf\nformat = multiboot2\n"
		"[partition c]\nvcpus = 1\nmemory = 256M\nimage = hello.elf\nformat = multiboot2\n"
		"[partition d]\nvcpus = 1\nmemory = 256M\nimage = hello.elf\nformat = multiboot2\n"
		"[partition e]\nvcpus = 1\nmemory = 1M\nimage = hello.elf\nformat = multiboot2\n"
		"[partition f]\nvcpus = 1\nmemory = 1M\nimage = hello.elf\nformat = multiboot\n";

	CHECK(run(text) == 3, "a, c, d fit");
	CHECK(part("a")->valid && !part("b")->valid && part("c")->valid && part("d")->valid &&
	      !part("e")->valid && !part("f")->valid, "which fit");
	CHECK(!strcmp(msgs, "config: line 8: memory 768M more than is free (512M left)\n"
			    "config: line 23: memory 1M more than is free (0 left)\n"
			    "config: line 30: unknown format 'multiboot' (flat, multiboot1 or "
			    "multiboot2)\n"), "memory messages:\n%s", msgs);
	plat.free_bytes = GB + 12288;
	run(text);
	CHECK(!strcmp(part("e")->error, "config: line 23: memory 1M more than is free (12K left)"),
	      "odd remainder: %s", part("e")->error);
	platform_reset();
}

/* Bytes past len are never looked at: the same buffer, cut short, parses as
 * the cut text. */
static void test_len(void)
{
	static const char text[] = "[partition a]\nvcpus = 1\nmemory = 64M\nimage = hello.elf\n"
				   "format = multiboot2\ncolour = red\n";
	size_t good = strlen(text) - strlen("colour = red\n");

	CHECK(parse_n(text, good) == 1 && nmsgs == 0, "cut before the bad line");
	CHECK(parse_n(text, good + 3) == 0 &&
	      !strcmp(msgs, "config: line 6: expected 'key = value', got 'col'\n"), "cut inside: %s",
	      msgs);
	CHECK(parse_n(text, good - 1) == 1 && cfg.parts[0].format == PART_FORMAT_MULTIBOOT2,
	      "no trailing newline");
	CHECK(parse_n(text, good - 2) == 0 &&
	      !strcmp(msgs, "config: line 5: unknown format 'multiboot' (flat, multiboot1 or "
			    "multiboot2)\n"), "cut inside a value");
	CHECK(parse_n("[partition a", 12) == 0 && nmsgs == 1, "cut header");
	for (size_t l = 0; l <= sizeof(full_example) - 1; l++)
		parse_n(full_example, l); /* ASan: every prefix */
	CHECK(1, "every prefix parsed");
}

static unsigned hook_calls;
static const struct part_config *hook_part;
static const void *hook_data;
static uint64_t hook_size;
static const char *hook_answer;
static const char *hook_only; /* NULL: answer for every partition */

static int hook(const struct part_config *p, const void *data, uint64_t size, char *err,
		size_t errlen)
{
	hook_calls++;
	hook_part = p;
	hook_data = data;
	hook_size = size;
	if (!hook_answer || (hook_only && strcmp(p->name, hook_only)))
		return 0;
	snprintf(err, errlen, "%s", hook_answer);
	return -1;
}

static void test_check_image(void)
{
	plat.check_image = hook;
	hook_answer = NULL;
	CHECK(run(BASE) == 1 && hook_calls == 1 && hook_part == &cfg.parts[0] &&
	      hook_data == img_hello && hook_size == sizeof(img_hello), "hook sees the image");
	hook_answer = "not an ELF file";
	expect(BASE, "config: line 4: image 'hello.elf': not an ELF file");
	hook_answer = "";
	expect(BASE, "config: line 4: image 'hello.elf': rejected");
	hook_calls = 0;
	hook_answer = "x";
	run(BASE "colour = red\n" BASE_B "memory = 1M\n");
	CHECK(hook_calls == 0, "not called for partitions already invalid");
	run("[partition a]\ncpus = 0\nmemory = 4G\nimage = hello.elf\nformat = multiboot2\n");
	CHECK(hook_calls == 0, "not called when memory is refused");
	/* a refused image takes neither memory nor CPUs from the next */
	hook_answer = "segment outside the partition's RAM";
	hook_only = "a";
	CHECK(run("[partition a]\ncpus = 0\nmemory = 1G\nimage = hello.elf\nformat = multiboot2\n"
		  "[partition b]\ncpus = 0\nmemory = 1G\nimage = hello.elf\nformat = multiboot2\n") == 1 &&
	      part("b")->valid && !strcmp(msgs, "config: line 4: image 'hello.elf': segment outside "
						"the partition's RAM\n"), "refused image: %s", msgs);
	hook_answer = NULL;
	hook_only = NULL;
	plat.check_image = NULL;
	platform_reset();
}

static void test_helpers(void)
{
	char b[32];
	struct part_config p = { .valid = true };

	config_format_size(0, b, sizeof(b));
	CHECK(!strcmp(b, "0"), "size 0");
	config_format_size(3 * GB, b, sizeof(b));
	CHECK(!strcmp(b, "3G"), "3G");
	config_format_size(GB + MB, b, sizeof(b));
	CHECK(!strcmp(b, "1025M"), "1025M");
	config_format_size(5000, b, sizeof(b));
	CHECK(!strcmp(b, "5000"), "5000");
	config_format_size(UINT64_MAX, b, sizeof(b));
	CHECK(!strcmp(b, "18446744073709551615"), "max");
	config_fail(&p, 9, "first %d", 1);
	config_fail(&p, 10, "second");
	CHECK(!p.valid && p.error_line == 9 && !strcmp(p.error, "config: line 9: first 1"),
	      "config_fail keeps the first");
	CHECK(!strcmp(config_format_name(PART_FORMAT_FLAT), "flat") &&
	      !strcmp(config_uart_name(PART_UART_NONE), "none") &&
	      !strcmp(config_on_stop_name(PART_ON_STOP_RESTART), "restart") &&
	      !strcmp(config_on_all_stopped_name(HV_ALL_STOPPED_POWEROFF), "poweroff"), "names");
}

int main(void)
{
	platform_reset();
	test_full_example();
	test_minimal();
	test_layout_variants();
	test_bad();
	test_too_many();
	test_mixed();
	test_memory_order();
	test_len();
	test_check_image();
	test_helpers();
	test_debug_exit();
	return check_summary();
}
