/* Decoding of the VMX capability MSRs, SDM Vol. 3D appendix A. Pure: it
 * builds on the host for tests/host/test_virt.c. */
#include "vmx/vmx_caps.h"

#define PIN_PREEMPTION_TIMER (1ull << 6)
#define PROC_SECONDARY       (1ull << 31)
#define PROC2_EPT            (1ull << 1)
#define PROC2_VPID           (1ull << 5)
#define PROC2_UNRESTRICTED   (1ull << 7)
#define EPT_CAP_2M           (1ull << 16)
#define EPT_CAP_1G           (1ull << 17)

/* Allowed-1 settings are the high 32 bits of a control MSR (SDM A.3). */
static bool allowed1(uint64_t msr_value, uint64_t bit)
{
	return (msr_value >> 32) & bit;
}

enum virt_status vmx_assess(const struct vmx_msrs *m, struct vmx_features *f)
{
	bool sec = allowed1(m->procbased, PROC_SECONDARY);

	*f = (struct vmx_features){
		.ept = sec && allowed1(m->procbased2, PROC2_EPT),
		.vpid = sec && allowed1(m->procbased2, PROC2_VPID),
		.unrestricted = sec && allowed1(m->procbased2, PROC2_UNRESTRICTED),
		.preemption_timer = allowed1(m->pinbased, PIN_PREEMPTION_TIMER),
	};
	f->ept_2m = f->ept && (m->ept_vpid_cap & EPT_CAP_2M);
	f->ept_1g = f->ept && (m->ept_vpid_cap & EPT_CAP_1G);
	/* Locked with VMXON outside SMX disallowed: only the firmware setup can
	 * change it (SDM Vol. 3C 24.7). Unlocked is fine: we lock it ourselves. */
	if (m->fc_readable && (m->fc & FC_LOCKED) && !(m->fc & FC_VMX_OUTSIDE_SMX))
		return VIRT_FW_DISABLED;
	if (!f->ept || !f->unrestricted)
		return VIRT_LACKING;
	return VIRT_USABLE;
}
