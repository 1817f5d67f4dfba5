/* Running the built partitions: their vCPUs are placed on the run queues
 * (core/sched.c), every CPU runs its queue, and a partition's life ends
 * when its last vCPU has left the guest after partition_stop(): then it is
 * restarted (on_stop = restart) or stopped for good. APs wait halted and
 * are woken by an NMI once the run phase starts. */
#include "core/run.h"

#include <stdarg.h>

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/scrub.h"
#include "arch/x86/tsc.h"
#include "core/fmt.h"
#include "core/log.h"
#include "core/partition.h"
#include "core/sched.h"
#include "core/vintr.h"
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

	spin_lock(&p->stop_lock);
	if (p->stopping) { /* another vCPU stopped it first: its reason stands */
		spin_unlock(&p->stop_lock);
		return;
	}
	__atomic_store_n(&p->stopping, true, __ATOMIC_RELEASE);
	spin_unlock(&p->stop_lock);
	va_start(ap, fmt);
	fmt_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	spin_lock(&p->con_lock);
	if (p->con_len)
		partition_console_flush(p);
	spin_unlock(&p->con_lock);
	log_info("partition %s: stopped: %s", p->cfg->name, why);
	/* Its other vCPUs leave their guests and are reaped by their CPUs. */
	for (unsigned i = 0; i < p->nvcpus; i++)
		if (p->vcpus[i].state != VCPU_DEAD)
			sched_kick(&p->vcpus[i]);
}

static void log_exits(const struct partition *p)
{
	uint64_t e[VMEXIT_KINDS] = { 0 };

	for (unsigned i = 0; i < p->nvcpus; i++)
		for (unsigned k = 0; k < VMEXIT_KINDS; k++)
			e[k] += p->vcpus[i].exits[k];

	log_info("partition %s: exits io=%lu cpuid=%lu msr=%lu hypercall=%lu hlt=%lu nmi=%lu "
		 "slat=%lu preempt=%lu intr=%lu other=%lu; unclaimed ports %lu, MSR #GPs %lu",
		 p->cfg->name, e[VMEXIT_IO], e[VMEXIT_CPUID], e[VMEXIT_RDMSR] + e[VMEXIT_WRMSR],
		 e[VMEXIT_HYPERCALL], e[VMEXIT_HLT], e[VMEXIT_NMI], e[VMEXIT_SLAT_FAULT],
		 e[VMEXIT_PREEMPT], e[VMEXIT_INTR] + e[VMEXIT_IRQ_WINDOW],
		 e[VMEXIT_OTHER] + e[VMEXIT_TRIPLE_FAULT] + e[VMEXIT_ENTRY_FAILED],
		 p->io_unclaimed, p->msr_gp);
	for (unsigned i = 0; i < p->nvcpus; i++) {
		const struct vcpu *v = &p->vcpus[i];

		log_info("partition %s: vcpu %u: run_us=%lu scheduled=%lu migrations=%lu wakeups=%lu",
			 p->cfg->name, i, v->st.run_tsc * 1000 / (tsc_khz() ? tsc_khz() : 1),
			 v->st.scheduled, v->st.migrations, v->st.wakeups);
	}
}

/* vCPU v's state for a new life: vCPU 0 starts at the image's entry, the
 * others wait for INIT/SIPI. Its run queue stays. */
static void vcpu_reset(struct partition *p, struct vcpu *v)
{
	v->regs = (struct vcpu_regs){ 0 };
	v->arch_page = 0;
	v->launched = false;
	for (unsigned k = 0; k < VMEXIT_KINDS; k++)
		v->exits[k] = 0;
	v->kick = false;
	v->init_pending = false;
	v->sipi_vector = -1;
	v->st = (struct vcpu_stats){ 0 };
	v->extra.valid = false; /* starts from the reset state */
	v->start = p->boot_state;
	v->started = v->id == 0;
	vintr_reset(v);
}

int vcpu_setup(struct vcpu *v)
{
	const struct virt_ops *ops = virt_active();
	struct partition *p = v->part;

	/* VPID/ASID tags: unique per vCPU; 0 is the host's. */
	if (ops->vcpu_init(v, &v->start, p->slat.root_pa,
			   (uint16_t)((p - parts) * CONFIG_MAX_CPUS + v->id + 1)))
		return -1;
	if (v->id == 0)
		log_info("partition %s: running on cpu %u", p->cfg->name, this_cpu()->cpu_id);
	else
		log_info("partition %s: vCPU %u started on cpu %u at 0x%lx", p->cfg->name, v->id,
			 this_cpu()->cpu_id, v->start.cs.base + v->start.rip);
	return 0;
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
	p->io_unclaimed = p->msr_gp = 0;
	for (unsigned i = 0; i < p->nvcpus; i++)
		vcpu_reset(p, &p->vcpus[i]);
	if (p->cfg->max_restarts)
		log_info("partition %s: restarting (restart %u of %u)", p->cfg->name, p->restarts,
			 p->cfg->max_restarts);
	else
		log_info("partition %s: restarting (restart %u)", p->cfg->name, p->restarts);
	__atomic_store_n(&p->live, (int)p->nvcpus, __ATOMIC_RELEASE);
	/* Every vCPU of the new life: 0 runs, the others wait for INIT/SIPI
	 * (set while still stopping, so the run phase cannot look settled). */
	for (unsigned i = 1; i < p->nvcpus; i++)
		sched_set(&p->vcpus[i], VCPU_OFF);
	__atomic_store_n(&p->stopping, false, __ATOMIC_RELEASE);
	sched_set(&p->vcpus[0], VCPU_RUNNABLE);
	return true;
}

void partition_life_over(struct partition *p)
{
	log_exits(p);
	if (!restart(p))
		__atomic_store_n(&p->stopped, true, __ATOMIC_RELEASE);
}

/* The vCPUs of partitions that can never run again by themselves. */
static void log_asleep(void)
{
	for (unsigned i = 0; i < nparts; i++) {
		const struct partition *p = &parts[i];

		if (p->stopped)
			continue;
		for (unsigned k = 0; k < p->nvcpus; k++) {
			const struct vcpu *v = &p->vcpus[k];

			if (v->state == VCPU_BLOCKED)
				log_info("partition %s: vCPU %u asleep in HLT with nothing to wake it; "
					 "exits while asleep %lu, run_us=%lu", p->cfg->name, k,
					 vcpu_exit_total(v) - v->st.exits_at_block,
					 v->st.run_tsc * 1000 / (tsc_khz() ? tsc_khz() : 1));
		}
		log_exits(p);
	}
}

void run_this_cpu(void)
{
	__atomic_store_n(&this_cpu()->awake, true, __ATOMIC_RELEASE);
	if (!this_cpu()->virt_ready) {
		log_warn("run: cpu %u could not enter VMX/SVM operation: it runs nothing",
			 this_cpu()->cpu_id);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	sched_loop();
	for (;;)
		__asm__ volatile("sti; hlt; cli");
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
			log_warn("run: cpu %u does not wake up; its vCPUs wait", c);
	}
}

/* Places every vCPU: pinned ones on their CPU first (which takes those CPUs
 * out of the pool), then the floating ones spread over the pool. */
static void place_vcpus(void)
{
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < nparts; i++) {
			struct partition *p = &parts[i];
			const struct part_config *c = p->cfg;

			if ((pass == 0) != (c->ncpus > 0))
				continue;
			p->nvcpus = c->ncpus ? c->ncpus : c->vcpus;
			p->live = (int)p->nvcpus;
			p->stop_lock = (struct spinlock)SPINLOCK_INIT;
			for (unsigned k = 0; k < p->nvcpus; k++) {
				struct vcpu *v = &p->vcpus[k];

				*v = (struct vcpu){ .part = p, .id = k, .weight = c->weight,
						    .pin = c->ncpus ? (int)c->cpus[k] : -1 };
				vcpu_reset(p, v);
				sched_add(v, k == 0 ? VCPU_RUNNABLE : VCPU_OFF);
			}
		}
	}
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
	sched_set_slice_us(partitions_slice_us());
	place_vcpus();
	__atomic_store_n(&run_phase, true, __ATOMIC_RELEASE);
	wake_aps();
	if (!this_cpu()->virt_ready) {
		log_warn("run: the boot CPU could not enter VMX/SVM operation: it runs nothing");
		while (!sched_settled())
			tsc_delay_us(10000);
	} else {
		sched_loop();
	}
	log_asleep();
	{
		unsigned stopped = 0;

		for (unsigned i = 0; i < nparts; i++)
			stopped += parts[i].stopped;
		if (stopped == nparts)
			log_info("hv: all %u partitions stopped", nparts);
		else
			log_info("hv: %u partitions stopped, %u asleep with nothing to wake them",
				 stopped, nparts - stopped);
	}
	return true;
}
