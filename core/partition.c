#include "core/partition.h"

#include "core/acpi_guest.h"

#include "arch/x86/layout.h"
#include "arch/x86/percpu.h"
#include "core/fmt.h"
#include "core/hv.h"
#include "core/loader.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/virt.h"

static const struct boot_info *boot_bi; /* the modules stay reserved */
#include "mm/pmm.h"

/* Kept out of what partitions may take: page tables, stacks, later vCPUs. */
#define HV_RESERVE_BYTES (16ul << 20)
#define ERR_MAX          PARTITION_ERR_MAX

static struct hv_config config;
struct partition parts[CONFIG_MAX_PARTITIONS];
unsigned nparts;

static void *env_p2v(void *ctx, uint64_t pa)
{
	(void)ctx;
	return phys_to_virt(pa);
}

static int env_alloc(void *ctx, uint64_t *pa)
{
	(void)ctx;
	return pmm_alloc(0, pa);
}

static void env_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	pmm_free(pa);
}

static const struct slat_env slat_env = { env_p2v, env_alloc, env_free, NULL };

static int ram_write(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
	return gspace_write(ctx, gpa, src, len) ? 0 : -1;
}

static int ram_zero(void *ctx, uint64_t gpa, uint64_t len)
{
	return gspace_zero(ctx, gpa, len) ? 0 : -1;
}

static enum image_format image_format(enum part_format f)
{
	return f == PART_FORMAT_FLAT ? IMAGE_FLAT :
	       f == PART_FORMAT_MULTIBOOT1 ? IMAGE_MULTIBOOT1 : IMAGE_MULTIBOOT2;
}

static int check_image(const struct part_config *p, const void *data, uint64_t size, char *err,
		       size_t errlen)
{
	return loader_check(image_format(p->format), data, size, p->memory, p->load, err, errlen);
}

static const struct boot_module *find_module(const struct boot_info *bi, const char *name)
{
	for (unsigned i = 1; i < bi->mod_count; i++) {
		const char *a = bi->mods[i].name, *b = name;

		while (*a && *a == *b) {
			a++;
			b++;
		}
		if (*a == *b)
			return &bi->mods[i];
	}
	return NULL;
}

static void platform_from_boot(const struct boot_info *bi, struct config_platform *plat)
{
	struct pmm_totals t;

	pmm_totals(&t);
	*plat = (struct config_platform){
		.ncpus = ncpus_online,
		.free_bytes = t.free_bytes > HV_RESERVE_BYTES ? t.free_bytes - HV_RESERVE_BYTES : 0,
		.check_image = check_image,
	};
	for (unsigned i = 1; i < bi->mod_count; i++)
		plat->mods[plat->nmodules++] = (struct config_module){
			bi->mods[i].name, phys_to_virt(bi->mods[i].start),
			bi->mods[i].end - bi->mods[i].start,
		};
}

/* Loads the image and modules through the partition's own map. */
static bool load_image(const struct boot_info *bi, struct partition *p, char *err)
{
	const struct part_config *c = p->cfg;
	const struct boot_module *img = find_module(bi, c->image);
	struct loader_module mods[CONFIG_MAX_MODULES];
	struct guest_region regions[GSPACE_MAX_REGIONS];
	struct guest_ram ram = { 0, &p->mem, ram_write, ram_zero };
	struct load_request rq = {
		.fmt = image_format(c->format),
		.flat_load = c->load,
		.flat_entry = c->entry,
		.flat_mode = c->mode == PART_MODE_REAL ? VCPU_MODE_REAL16 :
			     c->mode == PART_MODE_LONG ? VCPU_MODE_LONG64 : VCPU_MODE_PROT32,
		.cmdline = c->cmdline,
		.mods = mods,
		.mod_count = c->nmodules,
		.regions = regions,
		.region_count = p->mem.nregions,
	};
	char why[ERR_MAX];

	if (!img) {
		fmt_snprintf(err, ERR_MAX, "module '%s' not found", c->image);
		return false;
	}
	for (unsigned i = 0; i < c->nmodules; i++) {
		const struct boot_module *m = find_module(bi, c->modules[i]);

		if (!m) {
			fmt_snprintf(err, ERR_MAX, "module '%s' not found", c->modules[i]);
			return false;
		}
		mods[i] = (struct loader_module){ m->name, phys_to_virt(m->start), m->end - m->start };
	}
	for (unsigned i = 0; i < p->mem.nregions; i++) {
		const struct gregion *r = &p->mem.regions[i];

		regions[i] = (struct guest_region){ r->gpa, r->len, GUEST_REGION_RAM };
		if (r->gpa + r->len > ram.size)
			ram.size = r->gpa + r->len;
	}
	rq.img = phys_to_virt(img->start);
	rq.size = img->end - img->start;
	if (loader_load(&rq, &ram, &p->boot_state, why, sizeof(why)) != LOADER_OK) {
		fmt_snprintf(err, ERR_MAX, "image '%s': %s", c->image, why);
		return false;
	}
	return true;
}

/* Second-level tables from the guest-physical map, in the backend's format. */
static bool build_slat(struct partition *p, char *err)
{
	const struct slat_fmt *fmt;
	unsigned max_level;
	enum slat_status st;

	if (!virt_slat(&fmt, &max_level))
		return true; /* no backend: nothing will run it; the map is still built */
	st = slat_init(&p->slat, fmt, &slat_env, max_level);
	for (unsigned i = 0; st == SLAT_OK && i < p->mem.npieces; i++) {
		const struct gpiece *g = &p->mem.pieces[i];

		st = slat_map(&p->slat, g->gpa, g->hpa, g->len, SLAT_RWX);
	}
	if (st != SLAT_OK) {
		fmt_snprintf(err, ERR_MAX, "second-level tables: %s", slat_status_str(st));
		return false;
	}
	/* Fresh tables, never used by a CPU: nothing to flush. */
	slat_flush_done(&p->slat);
	p->has_slat = true;
	return true;
}

static bool same(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* debug_bad_guest=NAME: CR0.PG without PE and a reserved EFER bit (bit 2)
 * are both refused by VM entry (SDM Vol. 3C 27.3.1.1) and VMRUN (APM Vol. 2
 * 15.5.1); emulators check one or the other, so that partition's first
 * entry fails everywhere. */
static void maybe_break_state(struct partition *p)
{
	if (!hv_opts.debug_bad_guest[0] || !same(hv_opts.debug_bad_guest, p->cfg->name))
		return;
	log_info("partition %s: debug_bad_guest: entry state broken on purpose (CR0.PG without PE, "
		 "EFER bit 2)", p->cfg->name);
	p->boot_state.cr0 = (p->boot_state.cr0 & ~VCPU_CR0_PE) | VCPU_CR0_PG;
	p->boot_state.efer |= 1ull << 2;
}

static uint64_t image_size(const struct partition *p)
{
	const struct boot_module *m = find_module(boot_bi, p->cfg->image);

	return m ? m->end - m->start : 0;
}

/* The partition's ACPI tables (its CPUs), where a PC's firmware puts them;
 * a flat image that covers that place keeps it (and finds no tables). */
static bool write_acpi(struct partition *p, char *err)
{
	const struct part_config *c = p->cfg;
	uint8_t buf[ACPI_GUEST_SIZE];

	if (c->format == PART_FORMAT_FLAT && c->load < ACPI_GUEST_AT + ACPI_GUEST_SIZE &&
	    ACPI_GUEST_AT < c->load + image_size(p))
		return true;
	acpi_guest_build(buf, c->ncpus ? c->ncpus : c->vcpus);
	if (!gspace_write(&p->mem, ACPI_GUEST_AT, buf, sizeof(buf))) {
		fmt_snprintf(err, ERR_MAX, "ACPI tables at 0x%x: not in its RAM", ACPI_GUEST_AT);
		return false;
	}
	return true;
}

static bool build(const struct boot_info *bi, struct partition *p, char *err)
{
	enum gspace_status gs = gspace_create(&p->mem, p->cfg->memory);

	if (gs != GSPACE_OK) {
		fmt_snprintf(err, ERR_MAX, "guest memory: %s", gspace_status_str(gs));
		return false;
	}
	if (load_image(bi, p, err) && write_acpi(p, err) && build_slat(p, err) &&
	    partition_devices(p, err)) {
		maybe_break_state(p);
		return true;
	}
	if (p->has_slat)
		slat_destroy(&p->slat);
	gspace_destroy(&p->mem);
	return false;
}

static void log_leaves(const struct partition *p)
{
	uint64_t n[SLAT_LEAF_LEVELS];

	if (!p->has_slat) {
		log_info("slat: %s: none (no virtualization backend)", p->cfg->name);
		return;
	}
	slat_leaf_counts(&p->slat, n);
	log_info("slat: %s 1G=%lu 2M=%lu 4K=%lu (%s)", p->cfg->name, n[SLAT_LEVEL_1G],
		 n[SLAT_LEVEL_2M], n[SLAT_LEVEL_4K], virt_name());
}

extern char __image_phys_start[], __image_phys_end[];

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Every leaf of p's tables maps into one of p's own pieces, at the offset the
 * map says, and the leaves cover exactly its RAM. Walks leaf by leaf. */
static bool slat_matches_map(const struct partition *p)
{
	uint64_t covered = 0;

	for (unsigned i = 0; i < p->mem.npieces; i++) {
		const struct gpiece *g = &p->mem.pieces[i];

		for (uint64_t off = 0; off < g->len;) {
			uint64_t hpa, size;
			unsigned perm, level;

			if (!slat_translate(&p->slat, g->gpa + off, &hpa, &perm, &level) ||
			    hpa != g->hpa + off)
				return false;
			size = SLAT_PAGE_SIZE << (9 * level);
			size -= (g->gpa + off) & (size - 1);
			off += size;
			covered += size;
		}
	}
	return covered == p->mem.ram_bytes;
}

/* Isolation, checked on what was built (never compiled out): no two
 * partitions share a host page, none holds the hypervisor image, and each
 * one's second-level tables reach only its own memory. */
static bool check_isolation(void)
{
	uint64_t img = (uint64_t)__image_phys_start + image_load_offset;
	uint64_t img_len = (uint64_t)(__image_phys_end - __image_phys_start);

	for (unsigned a = 0; a < nparts; a++) {
		const struct partition *p = &parts[a];

		if (p->has_slat && !slat_matches_map(p))
			return false;
		for (unsigned i = 0; i < p->mem.npieces; i++) {
			const struct gpiece *x = &p->mem.pieces[i];

			if (overlaps(x->hpa, x->len, img, img_len))
				return false;
			for (unsigned b = a + 1; b < nparts; b++)
				for (unsigned j = 0; j < parts[b].mem.npieces; j++)
					if (overlaps(x->hpa, x->len, parts[b].mem.pieces[j].hpa,
						     parts[b].mem.pieces[j].len))
						return false;
		}
	}
	return true;
}

bool partition_reload(struct partition *p, char *err)
{
	for (unsigned i = 0; i < p->mem.npieces; i++) {
		if (!gspace_zero(&p->mem, p->mem.pieces[i].gpa, p->mem.pieces[i].len)) {
			fmt_snprintf(err, ERR_MAX, "its memory could not be cleared");
			return false;
		}
	}
	p->con_len = 0;
	return load_image(boot_bi, p, err) && write_acpi(p, err) && partition_devices(p, err);
}

unsigned partitions_boot(const struct boot_info *bi)
{
	static struct config_platform plat;
	const struct boot_module *cm;
	struct config_msg_iter it = { 0 };
	const char *msg;
	unsigned refused = 0;

	if (!bi->mod_count) {
		log_warn("config: no partition config module: nothing to run");
		return 0;
	}
	boot_bi = bi;
	cm = &bi->mods[0];
	config_parse(phys_to_virt(cm->start), cm->end - cm->start, &config);
	platform_from_boot(bi, &plat);
	config_check(&config, &plat);
	while ((msg = config_next_message(&config, &it)))
		log_err("%s", msg);
	for (unsigned i = 0; i < config.nparts; i++) {
		struct partition *p = &parts[nparts];
		char err[ERR_MAX], plan[256];

		if (!config.parts[i].valid) {
			refused++;
			continue;
		}
		*p = (struct partition){ .cfg = &config.parts[i] };
		if (!build(bi, p, err)) {
			log_err("partition %s: refused: %s", p->cfg->name, err);
			refused++;
			continue;
		}
		config_plan_line(p->cfg, plan, sizeof(plan));
		/* A flat image's plan names its entry already; a kernel's comes
		 * from its headers. */
		if (p->cfg->format == PART_FORMAT_FLAT)
			log_info("%s", plan);
		else
			log_info("%s entry=0x%lx", plan, p->boot_state.rip);
		log_leaves(p);
		nparts++;
	}
	log_info("hv: %u partitions built, %u refused", nparts, refused);
	if (nparts && !check_isolation())
		panic("partition: isolation check failed: memory shared or tables reach outside");
	if (nparts)
		log_info("hv: isolation check: %u partitions, memory disjoint, tables map only their own RAM",
			 nparts);
	return nparts;
}

unsigned partitions_slice_us(void)
{
	return config.slice_us;
}

bool partitions_poweroff_when_stopped(void)
{
	return config.on_all_stopped == HV_ALL_STOPPED_POWEROFF;
}
