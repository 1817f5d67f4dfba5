/* Private to vmx/: the VMX instructions, each with its failure checked
 * (SDM Vol. 3C 31.2: VMfailInvalid sets CF, VMfailValid sets ZF and leaves
 * the reason in the VM-instruction error field). Never ignore the result. */
#ifndef VMX_VMX_INSN_H
#define VMX_VMX_INSN_H

#include <stdbool.h>
#include <stdint.h>

enum vmx_result {
	VMX_OK = 0,
	VMX_FAIL_INVALID = 1, /* CF: no current VMCS, or VMXON not in effect */
	VMX_FAIL_VALID = 2,   /* ZF: see vmx_insn_error() */
};

/* setbe/sete after the instruction: CF=1 -> invalid; ZF=1 -> valid failure. */
#define VMX_RESULT_ASM "setc %[cf]\n\tsetz %[zf]\n\t"

static inline enum vmx_result vmx_result(uint8_t cf, uint8_t zf)
{
	return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_OK;
}

__attribute__((warn_unused_result)) static inline enum vmx_result vmxon(uint64_t pa)
{
	uint8_t cf, zf;

	__asm__ volatile("vmxon %[pa]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [pa] "m"(pa)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

__attribute__((warn_unused_result)) static inline enum vmx_result vmclear(uint64_t pa)
{
	uint8_t cf, zf;

	__asm__ volatile("vmclear %[pa]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [pa] "m"(pa)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

__attribute__((warn_unused_result)) static inline enum vmx_result vmptrld(uint64_t pa)
{
	uint8_t cf, zf;

	__asm__ volatile("vmptrld %[pa]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [pa] "m"(pa)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

__attribute__((warn_unused_result)) static inline enum vmx_result vmwrite(uint64_t field,
									uint64_t value)
{
	uint8_t cf, zf;

	__asm__ volatile("vmwrite %[v], %[f]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [f] "r"(field), [v] "rm"(value)
			 : "cc");
	return vmx_result(cf, zf);
}

__attribute__((warn_unused_result)) static inline enum vmx_result vmread(uint64_t field,
								       uint64_t *value)
{
	uint8_t cf, zf;

	__asm__ volatile("vmread %[f], %[v]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf), [v] "=rm"(*value)
			 : [f] "r"(field)
			 : "cc");
	return vmx_result(cf, zf);
}

__attribute__((warn_unused_result)) static inline enum vmx_result vmxoff(void)
{
	uint8_t cf, zf;

	__asm__ volatile("vmxoff\n\t" VMX_RESULT_ASM : [cf] "=qm"(cf), [zf] "=qm"(zf) : : "cc");
	return vmx_result(cf, zf);
}

/* INVEPT / INVVPID types, SDM Vol. 3C 31.3 */
enum { INV_SINGLE_CONTEXT = 1, INV_ALL_CONTEXT = 2 };

struct inv_desc {
	uint64_t a, b; /* INVEPT: EPTP, 0; INVVPID: VPID, linear address */
};

__attribute__((warn_unused_result)) static inline enum vmx_result invept(uint64_t type,
								       uint64_t eptp)
{
	struct inv_desc d = { eptp, 0 };
	uint8_t cf, zf;

	__asm__ volatile("invept %[d], %[t]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [d] "m"(d), [t] "r"(type)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

__attribute__((warn_unused_result)) static inline enum vmx_result invvpid(uint64_t type,
									uint16_t vpid)
{
	struct inv_desc d = { vpid, 0 };
	uint8_t cf, zf;

	__asm__ volatile("invvpid %[d], %[t]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [d] "m"(d), [t] "r"(type)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

/* Name of VM-instruction error number n (SDM Vol. 3C 31.4), "unknown" beyond. */
const char *vmx_insn_error_name(uint64_t n);
/* The current VMCS's VM-instruction error, after a VMX_FAIL_VALID. */
uint64_t vmx_insn_error(void);

#endif
