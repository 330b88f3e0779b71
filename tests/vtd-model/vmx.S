/* vmx.S: VM entry and exit for the minimal VMM of vmm.c: guest general registers saved/restored
 * around VMLAUNCH/VMRESUME (SDM Vol. 3C 26, 27: VM exit loads only RSP/RIP of the host), and the
 * guests' interrupt entry points. */
	.text
	.code64
	.globl vmx_run, vmx_exit_stub
/* int vmx_run(u64 *guest_regs, int launched): enters the guest; returns 0 after a VM exit, 1 when
 * VMLAUNCH/VMRESUME failed. guest_regs: rax rbx rcx rdx rsi rdi rbp r8..r15 (15 quadwords). */
vmx_run:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi                           /* guest_regs, found again at exit */
	mov $0x6c14, %eax                   /* HOST_RSP */
	vmwrite %rsp, %rax
	mov %esi, %eax
	test %eax, %eax
	mov 8(%rdi), %rbx
	mov 16(%rdi), %rcx
	mov 24(%rdi), %rdx
	mov 32(%rdi), %rsi
	mov 48(%rdi), %rbp
	mov 56(%rdi), %r8
	mov 64(%rdi), %r9
	mov 72(%rdi), %r10
	mov 80(%rdi), %r11
	mov 88(%rdi), %r12
	mov 96(%rdi), %r13
	mov 104(%rdi), %r14
	mov 112(%rdi), %r15
	mov 0(%rdi), %rax
	mov 40(%rdi), %rdi
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	pop %rdi                            /* entry failed */
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	mov $1, %eax
	ret

vmx_exit_stub:
	push %rdi
	mov 8(%rsp), %rdi                   /* guest_regs */
	mov %rax, 0(%rdi)
	mov %rbx, 8(%rdi)
	mov %rcx, 16(%rdi)
	mov %rdx, 24(%rdi)
	mov %rsi, 32(%rdi)
	pop %rax
	mov %rax, 40(%rdi)
	mov %rbp, 48(%rdi)
	mov %r8, 56(%rdi)
	mov %r9, 64(%rdi)
	mov %r10, 72(%rdi)
	mov %r11, 80(%rdi)
	mov %r12, 88(%rdi)
	mov %r13, 96(%rdi)
	mov %r14, 104(%rdi)
	mov %r15, 112(%rdi)
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	xor %eax, %eax
	ret


/* Guest interrupt entry points (the guest's IDT): its vector calls guest_isr; any other vector
 * marks the run bad and ends it with VMCALL. */
	.globl guest_isr_stub, guest_bad_stub
guest_isr_stub:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	lea 72(%rsp), %rdi                  /* the interrupt frame: rip, cs, rflags, rsp, ss */
	call guest_isr
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	iretq
guest_bad_stub:
	movq $1, guest_bad_vec
	xor %eax, %eax                      /* VMCALL 0: end of the run */
3:	vmcall
	jmp 3b

/* guest_stubs: 256 16-byte entry points for a guest IDT (cpufix.c); each calls
 * guest_irq(vector, frame) with frame = the interrupt frame (rip, cs, rflags, rsp, ss). Exceptions
 * with an error code are not returned from (guest_irq ends the run). */
.macro GSTUB vec
	.balign 16
	push $0
	push $\vec
	jmp guest_common
.endm
	.globl guest_stubs
	.balign 16
guest_stubs:
	.altmacro
	.set gv, 0
	.rept 256
	GSTUB %gv
	.set gv, gv+1
	.endr

guest_common:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov 72(%rsp), %rdi                  /* vector */
	lea 88(%rsp), %rsi                  /* frame: rip, cs, rflags, rsp, ss */
	call guest_irq
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp
	iretq
