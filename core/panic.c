#include "core/panic.h"

#include <stdarg.h>

#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/power.h"
#include "arch/x86/smp.h"
#include "arch/x86/trap.h"
#include "arch/x86/tsc.h"
#include "core/fmt.h"
#include "core/hv.h"
#include "core/log.h"
#include "mm/paging.h"

#define BACKTRACE_MAX 16

/* How long the panicking CPU waits for the others to take the stop NMI:
 * microseconds on hardware; emulators on a loaded host need the margin. */
#define STOP_WAIT_US 1000000
#define NO_CPU       (-1)

static int panic_cpu = NO_CPU;  /* the one CPU running the panic path */
static uint64_t stopped_mask;   /* bit per cpu_id: other CPUs that halted */
static unsigned panic_depth;    /* faults of the panicking CPU inside its panic */

bool panic_in_progress(void)
{
	return __atomic_load_n(&panic_cpu, __ATOMIC_ACQUIRE) != NO_CPU;
}

/* Usable before the per-CPU block exists (GS base still 0: boot CPU). */
static int current_cpu(void)
{
	uint64_t gs = rdmsr(MSR_GS_BASE);

	return gs ? (int)((struct percpu *)gs)->cpu_id : 0;
}

/* Counted once however it gets here (its own panic, the stop NMI, both). */
__attribute__((noreturn)) static void stop_this_cpu(void)
{
	__atomic_fetch_or(&stopped_mask, 1ull << (current_cpu() % MAX_CPUS), __ATOMIC_RELEASE);
	cpu_stop();
}

static unsigned cpus_stopped(void)
{
	uint64_t m = __atomic_load_n(&stopped_mask, __ATOMIC_ACQUIRE);
	unsigned n = 0;

	for (; m; m &= m - 1) /* no libgcc popcount in the hypervisor */
		n++;
	return n;
}

static unsigned cpus_known(void)
{
	return ncpus_online ? ncpus_online : 1; /* before SMP: the boot CPU */
}

void panic_on_nmi(void)
{
	int owner = __atomic_load_n(&panic_cpu, __ATOMIC_ACQUIRE);

	if (owner == NO_CPU || owner == current_cpu())
		return;
	stop_this_cpu();
}

static void backtrace(uint64_t rip, uint64_t rbp)
{
	log_err("  backtrace (addr2line -e build/hv.elf ADDR):");
	log_err("    #0 0x%016lx", rip);
	for (unsigned i = 1; i < BACKTRACE_MAX && rbp && !(rbp & 7); i++) {
		const uint64_t *frame = (const uint64_t *)rbp;

		/* Follow the chain only through mapped memory: a corrupt frame
		 * pointer must not fault inside the panic path. */
		if (!paging_is_mapped(rbp) || !paging_is_mapped(rbp + 8) || !frame[1])
			break;
		log_err("    #%u 0x%016lx", i, frame[1]);
		rbp = frame[0];
	}
}

/* Makes sure exactly one CPU runs the panic path; the others stop. Returns
 * false when the panicking CPU faulted again inside its own panic: the caller
 * then says so in one line and goes straight to the on_panic action. */
static bool panic_begin(void)
{
	int owner = NO_CPU;
	uint64_t end;

	irq_disable();
	if (!__atomic_compare_exchange_n(&panic_cpu, &owner, current_cpu(), false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (owner != current_cpu() || ++panic_depth > 1)
			stop_this_cpu(); /* another CPU panics, or nesting again */
		return false;
	}
	log_enter_panic();
	smp_stop_others();
	end = rdtsc() + STOP_WAIT_US * tsc_khz() / 1000;
	while (cpus_stopped() + 1 < cpus_known() && rdtsc() < end)
		cpu_relax();
	return true;
}

__attribute__((noreturn)) static void panic_end(void)
{
	enum hv_action a = hv_opts.on_panic;
	unsigned stopped = cpus_stopped() + 1, all = cpus_known();

	if (stopped >= all)
		log_err("panic: all %u CPUs stopped; on_panic=%s", all, hv_action_name(a));
	else
		log_err("panic: only %u of %u CPUs stopped; on_panic=%s", stopped, all,
			hv_action_name(a));
	if (a == ACT_POWEROFF)
		power_off();
	else if (a == ACT_REBOOT)
		power_reset();
	cpu_stop();
}

void panic(const char *fmt, ...)
{
	va_list ap;
	char msg[256];
	uint64_t rbp;

	bool first = panic_begin();

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("panic: cpu %d: %s%s", current_cpu(), first ? "" : "during the panic: ", msg);
	if (!first)
		panic_end();
	__asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
	backtrace((uint64_t)__builtin_return_address(0), ((uint64_t *)rbp)[0]);
	panic_end();
}

void panic_trap(const struct trap_frame *f)
{
	if (!panic_begin()) {
		log_err("panic: cpu %d: CPU exception %lu (%s) during the panic, rip=0x%016lx",
			current_cpu(), f->vector, trap_name(f->vector), f->rip);
		panic_end();
	}
	log_err("panic: cpu %d: CPU exception %lu (%s), error code 0x%lx", current_cpu(), f->vector,
		trap_name(f->vector), f->error);
	log_err("  rip=0x%016lx cs=0x%04lx rflags=0x%08lx", f->rip, f->cs, f->rflags);
	log_err("  rsp=0x%016lx ss=0x%04lx", f->rsp, f->ss);
	log_err("  cr0=0x%016lx cr2=0x%016lx", read_cr0(), read_cr2());
	log_err("  cr3=0x%016lx cr4=0x%016lx", read_cr3(), read_cr4());
	log_err("  rax=0x%016lx rbx=0x%016lx rcx=0x%016lx", f->rax, f->rbx, f->rcx);
	log_err("  rdx=0x%016lx rsi=0x%016lx rdi=0x%016lx", f->rdx, f->rsi, f->rdi);
	log_err("  rbp=0x%016lx r8 =0x%016lx r9 =0x%016lx", f->rbp, f->r8, f->r9);
	log_err("  r10=0x%016lx r11=0x%016lx r12=0x%016lx", f->r10, f->r11, f->r12);
	log_err("  r13=0x%016lx r14=0x%016lx r15=0x%016lx", f->r13, f->r14, f->r15);
	backtrace(f->rip, f->rbp);
	panic_end();
}
