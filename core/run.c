/* Running the built partitions. Interim policy until the scheduler exists:
 * each partition runs its vCPU 0, on its first pinned CPU or, for the shared
 * pool, on CPU 0; a CPU runs its partitions one after the other, each until it
 * stops. APs wait halted and are woken by an NMI once the run phase starts. */
#include "core/run.h"

#include <stdarg.h>

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/scrub.h"
#include "arch/x86/tsc.h"
#include "core/exits.h"
#include "core/fmt.h"
#include "core/log.h"
#include "core/partition.h"
#include "core/virt.h"

static volatile bool run_phase;

bool run_phase_started(void)
{
	return __atomic_load_n(&run_phase, __ATOMIC_ACQUIRE);
}

void partition_stop(struct partition *p, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (p->con_len) {
		p->con[p->con_len] = '\0';
		log_info("[%s] %s", p->cfg->name, p->con);
		p->con_len = 0;
	}
	log_info("partition %s: stopped: %s", p->cfg->name, why);
	log_info("partition %s: exits io=%lu cpuid=%lu msr=%lu hypercall=%lu hlt=%lu nmi=%lu "
		 "slat=%lu other=%lu; unclaimed ports %lu, MSR #GPs %lu", p->cfg->name,
		 p->exits[VMEXIT_IO], p->exits[VMEXIT_CPUID],
		 p->exits[VMEXIT_RDMSR] + p->exits[VMEXIT_WRMSR], p->exits[VMEXIT_HYPERCALL],
		 p->exits[VMEXIT_HLT], p->exits[VMEXIT_NMI], p->exits[VMEXIT_SLAT_FAULT],
		 p->exits[VMEXIT_OTHER] + p->exits[VMEXIT_TRIPLE_FAULT] +
			 p->exits[VMEXIT_ENTRY_FAILED],
		 p->io_unclaimed, p->msr_gp);
	__atomic_store_n(&p->stopping, true, __ATOMIC_RELEASE);
}

/* p will not run again: partitions_run() stops waiting for it. */
static void partition_finish(struct partition *p)
{
	__atomic_store_n(&p->stopped, true, __ATOMIC_RELEASE);
}

/* One life of p's vCPU 0 on this CPU: set up, run until it stops, freed. */
static void run_life(struct partition *p)
{
	const struct virt_ops *ops = virt_active();

	/* Registers VM entry does not load must not show the previous
	 * partition's values (or the host's). */
	scrub_guest_visible_state();
	/* The VPID/ASID tag is the partition's index + 1: tag 0 is the host's. */
	if (ops->vcpu_init(&p->vcpu0, &p->boot_state, p->slat.root_pa,
			   (uint16_t)(p - parts + 1))) {
		partition_stop(p, "its vCPU could not be set up");
		return;
	}
	log_info("partition %s: running on cpu %u", p->cfg->name, this_cpu()->cpu_id);
	/* Exits are handled on the backend's exit path (exit_handle()); it
	 * returns once the vCPU stopped. */
	ops->vcpu_run(&p->vcpu0);
	if (!p->stopping)
		partition_stop(p, "its vCPU left the run loop without stopping");
	ops->vcpu_free(&p->vcpu0);
}

/* on_stop = restart: the partition starts again from its image, as after a
 * reset, until max_restarts (if set) is used up. */
static bool restart(struct partition *p)
{
	char err[PARTITION_ERR_MAX];

	if (p->cfg->on_stop != PART_ON_STOP_RESTART)
		return false;
	if (p->cfg->max_restarts && p->restarts >= p->cfg->max_restarts) {
		log_info("partition %s: not restarted: max_restarts=%u reached", p->cfg->name,
			 p->cfg->max_restarts);
		return false;
	}
	if (!partition_reload(p, err)) {
		log_err("partition %s: cannot restart: %s", p->cfg->name, err);
		return false;
	}
	p->restarts++;
	for (unsigned k = 0; k <= VMEXIT_OTHER; k++)
		p->exits[k] = 0;
	p->io_unclaimed = p->msr_gp = 0;
	p->vcpu0 = (struct vcpu){ .part = p };
	__atomic_store_n(&p->stopping, false, __ATOMIC_RELEASE);
	if (p->cfg->max_restarts)
		log_info("partition %s: restarting (restart %u of %u)", p->cfg->name, p->restarts,
			 p->cfg->max_restarts);
	else
		log_info("partition %s: restarting (restart %u)", p->cfg->name, p->restarts);
	return true;
}

static void run_one(struct partition *p)
{
	do
		run_life(p);
	while (restart(p));
	partition_finish(p);
}

void run_this_cpu(void)
{
	struct percpu *self = this_cpu();
	unsigned me = self->cpu_id;

	__atomic_store_n(&self->awake, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < nparts; i++) {
		if (parts[i].cpu != me || parts[i].stopped)
			continue;
		if (!self->virt_ready) {
			partition_stop(&parts[i], "cpu %u could not enter VMX/SVM operation", me);
			partition_finish(&parts[i]);
		} else {
			run_one(&parts[i]);
		}
	}
}

/* NMIs until each AP says it is awake: one could arrive between an AP's
 * check of run_phase and its HLT and be lost. */
static void wake_aps(void)
{
	for (unsigned c = 1; c < ncpus_online; c++) {
		for (unsigned tries = 0; tries < 100 && !cpus[c]->awake; tries++) {
			lapic_send_ipi(cpus[c]->apic_id, ICR_NMI);
			tsc_delay_us(1000);
		}
		if (!cpus[c]->awake)
			log_warn("run: cpu %u does not wake up; its partitions wait", c);
	}
}

/* Physical CPU of a partition: its first pinned one, else CPU 0. */
static unsigned cpu_for(const struct partition *p)
{
	return p->cfg->ncpus ? p->cfg->cpus[0] : 0;
}

bool partitions_run(void)
{
	const struct virt_ops *ops = virt_active();

	if (!nparts)
		return false;
	if (!ops || !ops->vcpu_init) {
		log_info("hv: partitions are built but cannot run yet: no vCPU backend for %s",
			 virt_name());
		return false;
	}
	for (unsigned i = 0; i < nparts; i++) {
		parts[i].cpu = cpu_for(&parts[i]);
		parts[i].vcpu0.part = &parts[i];
	}
	__atomic_store_n(&run_phase, true, __ATOMIC_RELEASE);
	wake_aps();
	run_this_cpu();
	for (unsigned i = 0; i < nparts; i++)
		while (!__atomic_load_n(&parts[i].stopped, __ATOMIC_ACQUIRE))
			cpu_relax();
	log_info("hv: all %u partitions stopped", nparts);
	return true;
}
