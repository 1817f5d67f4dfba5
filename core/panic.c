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

static int panic_cpu = NO_CPU; /* the one CPU running the panic path */
static unsigned cpus_stopped;  /* other CPUs that took the stop NMI */

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

void panic_on_nmi(void)
{
	int owner = __atomic_load_n(&panic_cpu, __ATOMIC_ACQUIRE);

	if (owner == NO_CPU || owner == current_cpu())
		return;
	__atomic_fetch_add(&cpus_stopped, 1, __ATOMIC_RELEASE);
	cpu_stop();
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

/* Makes sure exactly one CPU runs the panic path; the others stop. */
static void panic_begin(void)
{
	int none = NO_CPU;
	uint64_t end;

	irq_disable();
	/* A CPU that loses the race just halts; the winner's stop NMI counts it. */
	if (!__atomic_compare_exchange_n(&panic_cpu, &none, current_cpu(), false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		cpu_stop();
	log_enter_panic();
	smp_stop_others();
	end = rdtsc() + STOP_WAIT_US * tsc_khz() / 1000;
	while (__atomic_load_n(&cpus_stopped, __ATOMIC_ACQUIRE) + 1 < ncpus_online && rdtsc() < end)
		cpu_relax();
}

__attribute__((noreturn)) static void panic_end(void)
{
	enum hv_action a = hv_opts.on_panic;

	unsigned stopped = __atomic_load_n(&cpus_stopped, __ATOMIC_ACQUIRE) + 1;

	if (stopped >= ncpus_online)
		log_err("panic: all %u CPUs stopped; on_panic=%s", ncpus_online, hv_action_name(a));
	else
		log_err("panic: only %u of %u CPUs stopped; on_panic=%s", stopped, ncpus_online,
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

	panic_begin();
	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("panic: cpu %d: %s", current_cpu(), msg);
	__asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
	backtrace((uint64_t)__builtin_return_address(0), ((uint64_t *)rbp)[0]);
	panic_end();
}

void panic_trap(const struct trap_frame *f)
{
	panic_begin();
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
