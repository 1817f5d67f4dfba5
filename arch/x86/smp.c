#include "arch/x86/smp.h"

#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/tsc.h"
#include "core/hv.h"
#include "core/log.h"
#include "mm/paging.h"
#include "mm/pmm.h"

#define INIT_DELAY_US       10000        /* SDM Vol. 3A 9.4.4.1: 10 ms after INIT */
#define SIPI_DELAY_US       200          /* 200 us between the SIPIs */
/* How long an AP gets to come online. Real CPUs take microseconds; the
 * margin is for emulators with more vCPUs than host cores. */
#define AP_ANSWER_US        1000000

extern const uint8_t tramp_blob_start[], tramp_blob_end[];

/* First C code on an AP, on its own stack, with the final page tables. */
__attribute__((noreturn)) void smp_ap_entry(struct percpu *p);
void smp_ap_entry(struct percpu *p)
{
	/* Reload CR3: drops any TLB entry of the trampoline identity map, which the
	 * BSP removes once all APs are up (the AP never touches it again). */
	paging_load();
	percpu_activate(p);
	lapic_enable();
	hv_ap_main(p);
}

static bool wait_online(struct percpu *p, uint64_t us)
{
	uint64_t end = rdtsc() + us * tsc_khz() / 1000;

	while (rdtsc() < end) {
		if (__atomic_load_n(&p->online, __ATOMIC_ACQUIRE))
			return true;
		cpu_relax();
	}
	return __atomic_load_n(&p->online, __ATOMIC_ACQUIRE);
}

static bool start_one(struct percpu *p, uint64_t tramp_pa)
{
	struct tramp_params *tp = phys_to_virt(tramp_pa + TRAMP_PARAMS_OFFSET);
	uint32_t sipi = ICR_STARTUP | (uint32_t)(tramp_pa >> PAGE_SHIFT);

	*tp = (struct tramp_params){
		.cr3 = paging_root_pa(),
		.efer = rdmsr(MSR_EFER) & ~(uint64_t)EFER_LMA, /* LMA is status only */
		.stack = p->stack_top,
		.percpu = (uint64_t)p,
		.entry = (uint64_t)smp_ap_entry,
	};
	/* The SIPI sequence of SDM Vol. 3A 9.4.4.1: INIT, then up to two SIPIs. */
	if (!lapic_send_ipi(p->apic_id, ICR_INIT | ICR_ASSERT))
		return false;
	tsc_delay_us(INIT_DELAY_US);
	for (int i = 0; i < 2; i++) {
		if (!lapic_send_ipi(p->apic_id, sipi))
			return false;
		if (wait_online(p, i ? AP_ANSWER_US : SIPI_DELAY_US))
			return true;
	}
	return false;
}

static void copy_trampoline(uint64_t tramp_pa)
{
	uint8_t *dst = phys_to_virt(tramp_pa);
	uint64_t len = (uint64_t)(tramp_blob_end - tramp_blob_start);

	for (uint64_t i = 0; i < len; i++)
		dst[i] = tramp_blob_start[i];
}

unsigned smp_boot(void)
{
	uint64_t tramp_pa = pmm_trampoline_page();
	uint32_t self = lapic_id();
	unsigned online = 1;
	struct percpu *p = NULL;

	if (!acpi.ncpus || !tramp_pa || !lapic_ready()) {
		log_warn("smp: no MADT, trampoline page or LAPIC: running on the boot CPU only");
		return online;
	}
	_Static_assert(TRAMP_PARAMS_OFFSET + sizeof(struct tramp_params) <= 64,
		       "params fit before the trampoline code");
	copy_trampoline(tramp_pa);
	/* The trampoline turns paging on with our CR3 while running at its
	 * physical address: map that page there, read+execute, until all APs
	 * are up. */
	if (paging_map(tramp_pa, tramp_pa, PAGE_SIZE, 0)) {
		log_warn("smp: cannot map the trampoline: boot CPU only");
		return online;
	}
	for (unsigned i = 0; i < acpi.ncpus; i++) {
		uint32_t apic = acpi.cpu[i].apic_id;

		if (apic == self)
			continue;
		if (online == MAX_CPUS) {
			log_warn("smp: more than %u CPUs: APIC id %u and later not started", MAX_CPUS,
				 apic);
			break;
		}
		/* A block left by a CPU that did not answer is reused. */
		if (!p)
			p = percpu_alloc(online, apic);
		if (!p) {
			log_warn("smp: out of memory for CPU with APIC id %u: skipped", apic);
			continue;
		}
		p->apic_id = apic;
		p->online = false;
		if (!start_one(p, tramp_pa)) {
			log_warn("smp: CPU with APIC id %u did not answer INIT-SIPI-SIPI: skipped", apic);
			/* Back to wait-for-SIPI, so a late start cannot take the
			 * next CPU's parameters. */
			lapic_send_ipi(apic, ICR_INIT | ICR_ASSERT);
			continue;
		}
		cpus[online++] = p;
		ncpus_online = online;
		log_info("smp: cpu %u online (APIC id %u)", p->cpu_id, apic);
		if (!p->virt_ready)
			log_warn("smp: cpu %u: virtualization could not be prepared on it", p->cpu_id);
		p = NULL;
	}
	/* All APs have left the trampoline (each set online from high code).
	 * invlpg covers this CPU; the APs flushed theirs by reloading CR3. */
	paging_unmap(tramp_pa, PAGE_SIZE);
	return online;
}

/* One NMI per online CPU, not the all-but-self shorthand: that would also
 * hit a CPU still in the trampoline, without an IDT. */
void smp_stop_others(void)
{
	uint32_t self;

	if (!lapic_ready())
		return;
	self = lapic_id();
	for (unsigned i = 0; i < ncpus_online; i++)
		if (cpus[i] && cpus[i]->apic_id != self)
			lapic_send_ipi(cpus[i]->apic_id, ICR_NMI);
}
