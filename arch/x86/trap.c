#include "arch/x86/lapic.h"
#include "arch/x86/trap.h"

#include "arch/x86/cpu.h"
#include "arch/x86/extable.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/run.h"

static const char *const names[VEC_EXCEPTIONS] = {
	[VEC_DE] = "#DE divide error", [VEC_DB] = "#DB debug", [VEC_NMI] = "NMI",
	[VEC_BP] = "#BP breakpoint", [VEC_OF] = "#OF overflow", [VEC_BR] = "#BR bound range",
	[VEC_UD] = "#UD invalid opcode", [VEC_NM] = "#NM device not available",
	[VEC_DF] = "#DF double fault", [VEC_TS] = "#TS invalid TSS",
	[VEC_NP] = "#NP segment not present", [VEC_SS] = "#SS stack fault",
	[VEC_GP] = "#GP general protection", [VEC_PF] = "#PF page fault",
	[VEC_MF] = "#MF x87 error", [VEC_AC] = "#AC alignment check",
	[VEC_MC] = "#MC machine check", [VEC_XM] = "#XM SIMD error",
	[VEC_VE] = "#VE virtualization", [VEC_CP] = "#CP control protection",
};

const char *trap_name(unsigned vector)
{
	if (vector < VEC_EXCEPTIONS && names[vector])
		return names[vector];
	return vector < VEC_EXCEPTIONS ? "reserved exception" : "interrupt";
}

void trap_dispatch(struct trap_frame *f)
{
	uint64_t fixup;

	if (f->vector == VEC_NMI) {
		/* The panicking CPU stops the others with an NMI. */
		panic_on_nmi();
		if (run_phase_started())
			return; /* the wake-up of core/run.c */
		/* This CPU may hold the console lock: never wait for it here. */
		log_try(LOG_WARN, "trap: unexpected NMI");
		return;
	}
	if (f->vector == VEC_SPURIOUS)
		return;
	if (f->vector == VEC_HV_TIMER || f->vector == VEC_HV_KICK) {
		/* Only wake the CPU: the scheduler looks at the time and its
		 * queues after the interrupt window (core/sched.c). */
		lapic_eoi();
		return;
	}
	if (f->vector < VEC_EXCEPTIONS) {
		fixup = extable_find(f->rip);
		if (fixup) {
			f->rip = fixup;
			return;
		}
		panic_trap(f);
	}
	log_warn("trap: unexpected interrupt, vector %lu", f->vector);
}
