/* The vCPU scheduler (core/sched.h). Each run queue is a small array of the
 * vCPUs placed on that CPU, under its lock; a CPU only ever runs vCPUs of
 * its own queue, and only it changes a vCPU from RUNNING. Lock order: a run
 * queue lock is never held while taking another one, the console lock or
 * the allocator's. */
#include "core/sched.h"

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/spinlock.h"
#include "arch/x86/tsc.h"
#include "core/log.h"
#include "core/partition.h"
#include "core/run.h"
#include "core/virt.h"

/* Every vCPU of every partition could sit on one CPU's queue. */
#define RQ_MAX        (CONFIG_MAX_PARTITIONS * CONFIG_MAX_CPUS)
#define SETTLE_US     10000 /* how often an idle boot CPU looks whether all is done */

struct runq {
	struct spinlock lock;
	struct vcpu *v[RQ_MAX];
	unsigned n;
	struct vcpu *current;
	bool pool;
};

static struct runq rqs[MAX_CPUS];
static uint64_t slice_tsc;

void sched_set_slice_us(unsigned us)
{
	slice_tsc = (uint64_t)us * tsc_khz() / 1000;
	if (!slice_tsc)
		slice_tsc = 1;
	for (unsigned c = 0; c < ncpus_online; c++)
		rqs[c] = (struct runq){ .lock = SPINLOCK_INIT, .pool = true };
}

static void rq_insert(struct runq *rq, struct vcpu *v)
{
	rq->v[rq->n++] = v; /* RQ_MAX holds every vCPU there can be */
}

static void rq_remove(struct runq *rq, struct vcpu *v)
{
	for (unsigned i = 0; i < rq->n; i++) {
		if (rq->v[i] == v) {
			rq->v[i] = rq->v[--rq->n];
			return;
		}
	}
}

void sched_add(struct vcpu *v, enum vcpu_run_state st)
{
	unsigned best = 0;
	bool found = false;

	if (v->pin >= 0) {
		best = (unsigned)v->pin;
		rqs[best].pool = false;
	} else {
		/* The least loaded pool CPU: pinned CPUs are marked first
		 * (core/run.c adds pinned vCPUs before floating ones). */
		for (unsigned c = 0; c < ncpus_online; c++)
			if (rqs[c].pool && (!found || rqs[c].n < rqs[best].n)) {
				best = c;
				found = true;
			}
	}
	v->rq = best;
	v->state = st;
	v->last_cpu = -1;
	rq_insert(&rqs[best], v);
}

static uint64_t min_vruntime(const struct runq *rq)
{
	uint64_t m = UINT64_MAX;

	for (unsigned i = 0; i < rq->n; i++)
		if ((rq->v[i]->state == VCPU_RUNNABLE || rq->v[i]->state == VCPU_RUNNING) &&
		    rq->v[i]->vruntime < m)
			m = rq->v[i]->vruntime;
	return m;
}

/* A vCPU that slept does not get the time it missed all at once: it comes
 * back at the queue's current minimum (as CFS places a waking task). */
static void make_runnable(struct runq *rq, struct vcpu *v)
{
	uint64_t m = min_vruntime(rq);

	if (m != UINT64_MAX && v->vruntime < m)
		v->vruntime = m;
	v->state = VCPU_RUNNABLE;
	v->st.wakeups++;
}

/* INIT or SIPI for v: what wakes a vCPU that is off. */
static bool has_start_work(const struct vcpu *v)
{
	return v->init_pending || v->sipi_vector >= 0;
}

/* Whether v, blocked or off, has something to do at now: an interrupt or
 * its timer (a HLT with interrupts on), INIT (any HLT), INIT or SIPI (off). */
static bool wakeable(const struct vcpu *v, uint64_t now)
{
	if (v->part->stopping)
		return false;
	if (v->state == VCPU_BLOCKED)
		return v->init_pending ||
		       (!v->halt_if0 && (v->posted_any || v->lapic_at <= now));
	return v->state == VCPU_OFF && has_start_work(v);
}

/* Under rq's lock: the blocked and off vCPUs that have something to do
 * become runnable. */
static void wake_due(struct runq *rq, uint64_t now)
{
	for (unsigned i = 0; i < rq->n; i++)
		if (wakeable(rq->v[i], now))
			make_runnable(rq, rq->v[i]);
}

void sched_block(struct vcpu *v, bool only_init)
{
	struct runq *rq = &rqs[v->rq];

	spin_lock(&rq->lock);
	v->state = VCPU_BLOCKED;
	v->halt_if0 = only_init;
	v->st.exits_at_block = vcpu_exit_total(v);
	spin_unlock(&rq->lock);
}

static struct vcpu *pick(struct runq *rq)
{
	struct vcpu *best = NULL;

	for (unsigned i = 0; i < rq->n; i++) {
		struct vcpu *v = rq->v[i];

		if (v->state == VCPU_RUNNABLE && (!best || v->vruntime < best->vruntime))
			best = v;
	}
	return best;
}

static unsigned runnable_count(const struct runq *rq)
{
	unsigned n = 0;

	for (unsigned i = 0; i < rq->n; i++)
		n += rq->v[i]->state == VCPU_RUNNABLE;
	return n;
}

/* The earliest virtual timer among rq's blocked vCPUs other than skip. */
static uint64_t earliest_timer(const struct runq *rq, const struct vcpu *skip)
{
	uint64_t t = UINT64_MAX;

	for (unsigned i = 0; i < rq->n; i++)
		if (rq->v[i] != skip && rq->v[i]->state == VCPU_BLOCKED && !rq->v[i]->halt_if0 &&
		    rq->v[i]->lapic_at < t)
			t = rq->v[i]->lapic_at;
	return t;
}

/* An idle pool CPU takes a runnable, waiting floating vCPU from another
 * pool CPU (the one that waited least recently... the lowest vruntime). */
static struct vcpu *steal(unsigned me)
{
	for (unsigned c = 0; c < ncpus_online; c++) {
		struct runq *rq = &rqs[c];
		struct vcpu *v;

		if (c == me || !rq->pool)
			continue;
		spin_lock(&rq->lock);
		v = pick(rq);
		/* Not the one that CPU is still finishing with (a HLT made it
		 * blocked and a wake runnable before its exit path was done). */
		if (v && v != rq->current && v->pin < 0 && !v->part->stopping) {
			rq_remove(rq, v);
			spin_unlock(&rq->lock);
			spin_lock(&rqs[me].lock);
			v->rq = me;
			rq_insert(&rqs[me], v);
			spin_unlock(&rqs[me].lock);
			return v;
		}
		spin_unlock(&rq->lock);
	}
	return NULL;
}

/* v of a stopping partition, not running: its VMCS/VMCB is freed on this
 * CPU (where a pinned vCPU's VMCS is active) and it is dead. The last one
 * of its partition ends the partition's life (core/run.c). */
static void reap_stopping(struct runq *rq)
{
	const struct virt_ops *ops = virt_active();

	for (;;) {
		struct vcpu *v = NULL;

		/* Chosen and marked dead under the lock: a vCPU is reaped once,
		 * by the CPU whose queue holds it (it cannot be stolen then). */
		spin_lock(&rq->lock);
		for (unsigned i = 0; i < rq->n && !v; i++)
			if (rq->v[i]->part->stopping && rq->v[i]->state != VCPU_DEAD &&
			    rq->v[i] != rq->current)
				v = rq->v[i];
		if (v)
			v->state = VCPU_DEAD;
		spin_unlock(&rq->lock);
		if (!v)
			return;
		if (v->arch_page)
			ops->vcpu_free(v);
		if (__atomic_sub_fetch(&v->part->live, 1, __ATOMIC_ACQ_REL) == 0)
			partition_life_over(v->part);
	}
}

static void set_state(struct runq *rq, struct vcpu *v, enum vcpu_run_state st)
{
	spin_lock(&rq->lock);
	v->state = st;
	if (rq->current == v)
		rq->current = NULL;
	spin_unlock(&rq->lock);
}

/* INIT and SIPI, on the target's own CPU before it runs: INIT resets it to
 * wait for a SIPI; a SIPI starts a waiting vCPU in real mode at the page it
 * names (CS = vector << 8, IP = 0). False when v has nothing to run. */
static bool take_init_sipi(struct runq *rq, struct vcpu *v)
{
	const struct virt_ops *ops = virt_active();

	if (v->init_pending) {
		v->init_pending = false;
		if (v->arch_page)
			ops->vcpu_free(v);
		v->regs = (struct vcpu_regs){ 0 };
		v->extra.valid = false;
		vlapic_init_ipi_reset(&v->lapic);
		v->lapic_at = UINT64_MAX;
		vcpu_deadline_changed(v);
		v->started = false;
	}
	if (!v->started && v->sipi_vector >= 0) {
		vcpu_state_sipi(&v->start, (uint8_t)v->sipi_vector);
		v->sipi_vector = -1;
		v->started = true;
	}
	if (!v->started) {
		/* Waiting for SIPI: interrupts are not accepted. */
		for (unsigned i = 0; i < 8; i++)
			v->posted[i] = 0;
		v->posted_any = false;
		set_state(rq, v, VCPU_OFF);
		return false;
	}
	return true;
}

/* Under rq's lock, as v becomes the current vCPU: a slice only when another
 * vCPU waits here (one alone runs untimed); v also leaves when a blocked
 * vCPU here is due to wake. */
static void set_deadlines(struct runq *rq, struct vcpu *v, uint64_t now)
{
	uint64_t other = earliest_timer(rq, v);

	v->slice_end = runnable_count(rq) ? now + slice_tsc : 0;
	v->timer_at = v->slice_end;
	if (other != UINT64_MAX && (!v->timer_at || other < v->timer_at))
		v->timer_at = other;
	vcpu_deadline_changed(v);
}

/* Under rq's lock: a vCPU became runnable here while cur runs without a
 * slice: cur gets one now (its exit path sees it at the next exit; the
 * caller kicks the CPU). */
static void give_slice(struct vcpu *cur, uint64_t now)
{
	if (!cur || cur->slice_end)
		return;
	cur->slice_end = now + slice_tsc;
	if (!cur->timer_at || cur->slice_end < cur->timer_at)
		cur->timer_at = cur->slice_end;
	vcpu_deadline_changed(cur);
}

static void run(struct runq *rq, struct vcpu *v, unsigned me)
{
	const struct virt_ops *ops = virt_active();
	uint64_t t0 = rdtsc(), dt;

	if ((v->init_pending || !v->started) && !take_init_sipi(rq, v))
		return;
	if (v->last_cpu >= 0 && v->last_cpu != (int)me)
		v->st.migrations++;
	v->st.scheduled++;
	/* What VM entry does not load: this vCPU's own, or the reset state
	 * for a new one; never what the previous vCPU here left. */
	guest_extra_load(&v->extra);
	if (!v->arch_page && vcpu_setup(v)) {
		partition_stop(v->part, "vCPU %u could not be set up", v->id);
	} else {
		ops->vcpu_run(v);
		v->last_cpu = (int)me;
		/* A floating vCPU may run elsewhere next: VMX must VMCLEAR it here. */
		if (v->pin < 0 && v->arch_page)
			ops->vcpu_put(v);
	}
	guest_extra_save(&v->extra);
	dt = rdtsc() - t0;
	v->st.run_tsc += dt;
	v->vruntime += dt * WEIGHT_UNIT / (v->weight ? v->weight : 1);
	spin_lock(&rq->lock);
	if (v->state == VCPU_RUNNING)
		v->state = VCPU_RUNNABLE;
	v->kick = false;
	v->slice_end = v->timer_at = 0;
	rq->current = NULL;
	spin_unlock(&rq->lock);
}

/* Nothing to run: halt until an interrupt (a kick, or the timer set for the
 * earliest blocked vCPU's virtual timer; on the boot CPU also the settle
 * check). STI;HLT takes an interrupt that arrived before it. */
static void idle(struct runq *rq, unsigned me)
{
	uint64_t t = earliest_timer(rq, NULL);

	if (me == 0) {
		uint64_t check = rdtsc() + (uint64_t)SETTLE_US * tsc_khz() / 1000;

		if (check < t)
			t = check;
	}
	if (t != UINT64_MAX)
		lapic_timer_arm(t);
	else
		lapic_timer_stop();
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void sched_loop(void)
{
	unsigned me = this_cpu()->cpu_id;
	struct runq *rq = &rqs[me];

	for (;;) {
		struct vcpu *v;

		reap_stopping(rq);
		spin_lock(&rq->lock);
		wake_due(rq, rdtsc());
		v = pick(rq);
		if (v) {
			v->state = VCPU_RUNNING;
			rq->current = v;
			set_deadlines(rq, v, rdtsc());
		}
		spin_unlock(&rq->lock);
		if (v) {
			run(rq, v, me);
			continue;
		}
		if (rq->pool && steal(me))
			continue;
		if (me == 0 && sched_settled())
			return;
		idle(rq, me);
	}
}

static void kick_cpu(unsigned cpu)
{
	if (cpu != this_cpu()->cpu_id)
		lapic_send_ipi(cpus[cpu]->apic_id, VEC_HV_KICK);
}

void sched_kick(struct vcpu *v)
{
	struct runq *rq = &rqs[v->rq];

	/* Whoever runs there leaves its guest: v itself, or the vCPU in the
	 * way of v's CPU doing something for it (reaping, INIT). */
	spin_lock(&rq->lock);
	v->kick = true;
	if (rq->current)
		rq->current->kick = true;
	spin_unlock(&rq->lock);
	kick_cpu(v->rq);
}

void sched_wake(struct vcpu *v)
{
	struct runq *rq;
	struct vcpu *cur;
	unsigned cpu;

	for (;;) {
		cpu = __atomic_load_n(&v->rq, __ATOMIC_ACQUIRE);
		rq = &rqs[cpu];
		spin_lock(&rq->lock);
		if (v->rq == cpu) /* not stolen meanwhile */
			break;
		spin_unlock(&rq->lock);
	}
	if (wakeable(v, rdtsc()))
		make_runnable(rq, v);
	cur = rq->current;
	/* The vCPU running there so far alone gets a slice now. */
	if (cur != v && v->state == VCPU_RUNNABLE)
		give_slice(cur, rdtsc());
	spin_unlock(&rq->lock);
	/* Wakes that CPU from HLT, or makes its guest exit so that the
	 * interrupt is injected (or the slice timer reprogrammed). */
	kick_cpu(cpu);
}

bool sched_should_leave(const struct vcpu *v, uint64_t now)
{
	return v->kick || v->part->stopping || (v->timer_at && now >= v->timer_at) ||
	       v->state != VCPU_RUNNING || v->init_pending;
}

void sched_set(struct vcpu *v, enum vcpu_run_state st)
{
	struct runq *rq = &rqs[v->rq];

	spin_lock(&rq->lock);
	v->state = st;
	if (st == VCPU_RUNNABLE && rq->current != v)
		give_slice(rq->current, rdtsc());
	spin_unlock(&rq->lock);
	kick_cpu(v->rq);
}

/* A partition that is asleep can never run again by itself: every vCPU is
 * off or dead, or blocked with no timer and nothing posted. */
static bool asleep(const struct partition *p)
{
	for (unsigned i = 0; i < p->nvcpus; i++) {
		const struct vcpu *v = &p->vcpus[i];

		if (v->state == VCPU_DEAD || (v->state == VCPU_OFF && !has_start_work(v)))
			continue;
		if (v->state == VCPU_BLOCKED && !wakeable(v, rdtsc()) &&
		    (v->halt_if0 || v->lapic_at == UINT64_MAX))
			continue;
		return false;
	}
	return true;
}

bool sched_settled(void)
{
	for (unsigned i = 0; i < nparts; i++)
		if (!parts[i].stopped && (parts[i].stopping || !asleep(&parts[i])))
			return false;
	return true;
}
