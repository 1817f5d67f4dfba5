#include "core/hypercall.h"

#include "core/partition.h"

static long long console_write(struct vcpu *v)
{
	struct partition *p = v->part;
	char buf[HC_CONSOLE_MAX];
	uint64_t len = v->regs.rcx;

	if (len > sizeof(buf) || !gspace_read(&p->mem, v->regs.rbx, buf, len))
		return HC_EINVAL;
	for (uint64_t i = 0; i < len; i++)
		partition_console_putc(p, (uint8_t)buf[i]);
	return HC_OK;
}

enum exit_action hypercall(struct vcpu *v)
{
	enum exit_action a = EXIT_SKIP;
	long long r;

	switch (v->regs.rax) {
	case HC_CONSOLE_WRITE:
		r = console_write(v);
		break;
	case HC_YIELD:
		/* Back to the scheduler, still runnable: another vCPU waiting on
		 * this CPU (one with less run time per weight) runs first. */
		r = HC_OK;
		a = EXIT_SKIP_LEAVE;
		break;
	case HC_EXIT:
		partition_stop(v->part, "exited with code %lu", v->regs.rbx);
		return EXIT_LEAVE;
	default:
		r = HC_ENOSYS;
		break;
	}
	v->regs.rax = (uint64_t)r;
	return a;
}
