/* The VMX and SVM capability decisions (vmx/vmx_assess.c, svm/svm_assess.c):
 * firmware-disabled, lacking and usable CPUs, which no emulator here can
 * show for the firmware cases. */
#include "tests/host/check.h"
#include "svm/svm_caps.h"
#include "vmx/vmx_caps.h"

#define A1(bit) ((uint64_t)(bit) << 32) /* allowed-1 half of a control MSR */

/* A Skylake-like CPU: everything the hypervisor wants. */
static struct vmx_msrs full_vmx(void)
{
	return (struct vmx_msrs){
		.fc_readable = true,
		.fc = FC_LOCKED | FC_VMX_OUTSIDE_SMX,
		.pinbased = A1(1u << 6),
		.procbased = A1(1u << 31),
		.procbased2 = A1((1u << 1) | (1u << 5) | (1u << 7)),
		.ept_vpid_cap = (1ull << 16) | (1ull << 17),
	};
}

static void test_vmx(void)
{
	struct vmx_msrs m = full_vmx();
	struct vmx_features f;

	CHECK(vmx_assess(&m, &f) == VIRT_USABLE, "full VMX usable");
	CHECK(f.ept && f.vpid && f.unrestricted && f.ept_2m && f.ept_1g && f.preemption_timer,
	      "all features decoded");

	m.fc = FC_LOCKED; /* locked by the firmware with VMX off */
	CHECK(vmx_assess(&m, &f) == VIRT_FW_DISABLED, "locked without VMX is firmware-disabled");
	m.fc = 0; /* unlocked: the hypervisor enables and locks it */
	CHECK(vmx_assess(&m, &f) == VIRT_USABLE, "unlocked feature control is usable");
	m.fc_readable = false;
	m.fc = FC_LOCKED;
	CHECK(vmx_assess(&m, &f) == VIRT_USABLE, "unreadable feature control is not a lock");

	m = full_vmx();
	m.procbased = 0; /* no secondary controls: no EPT, VPID, UG (Core 2) */
	CHECK(vmx_assess(&m, &f) == VIRT_LACKING, "no secondary controls lacks EPT");
	CHECK(!f.ept && !f.vpid && !f.unrestricted && !f.ept_2m && !f.ept_1g,
	      "secondary features off without the secondary control");

	m = full_vmx();
	m.procbased2 = A1(1u << 1); /* EPT only */
	CHECK(vmx_assess(&m, &f) == VIRT_LACKING, "EPT without unrestricted guest lacks");
	CHECK(f.ept && !f.unrestricted && !f.vpid, "EPT alone decoded");

	m = full_vmx();
	m.ept_vpid_cap = 1ull << 16; /* Sandy Bridge: no 1G EPT pages */
	CHECK(vmx_assess(&m, &f) == VIRT_USABLE && f.ept_2m && !f.ept_1g, "2M without 1G EPT");

	m = full_vmx();
	m.procbased2 = 1u << 1; /* EPT bit only in the allowed-0 half: not allowed */
	CHECK(vmx_assess(&m, &f) == VIRT_LACKING && !f.ept, "allowed-0 half is ignored");
	m = full_vmx();
	m.pinbased = 0;
	CHECK(vmx_assess(&m, &f) == VIRT_USABLE && !f.preemption_timer, "no preemption timer");
}

static void test_svm(void)
{
	struct svm_raw r = { .vmcr_readable = true, .vmcr = 0, .feat_edx = 0x10010001, .asids = 16 };
	struct svm_features f;

	/* QEMU TCG: NPT, 16 ASIDs, nothing else we look at */
	CHECK(svm_assess(&r, &f) == VIRT_USABLE, "QEMU-like SVM usable");
	CHECK(f.npt && !f.nrips && !f.vmcb_clean && !f.flush_by_asid && !f.decode_assists &&
		      f.asids == 16,
	      "QEMU-like features decoded");

	r.feat_edx = 1u | (1u << 3) | (1u << 5) | (1u << 6) | (1u << 7);
	r.asids = 32768;
	CHECK(svm_assess(&r, &f) == VIRT_USABLE && f.nrips && f.vmcb_clean && f.flush_by_asid &&
		      f.decode_assists &&
		      f.asids == 32768, "all SVM features decoded");

	r.vmcr = 1u << 4; /* SVMDIS */
	CHECK(svm_assess(&r, &f) == VIRT_FW_DISABLED, "VM_CR.SVMDIS is firmware-disabled");
	r.vmcr_readable = false; /* Bochs: no VM_CR */
	CHECK(svm_assess(&r, &f) == VIRT_USABLE, "unreadable VM_CR is not a disable");

	r = (struct svm_raw){ .vmcr_readable = true, .feat_edx = 1u << 3, .asids = 8 };
	CHECK(svm_assess(&r, &f) == VIRT_LACKING && !f.npt, "no NPT lacks");
}

int main(void)
{
	test_vmx();
	test_svm();
	return check_summary();
}
