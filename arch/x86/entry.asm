; Exception entry stubs, GDT reload and stack switch (64-bit, position independent).
default rel
bits 64
section .text

extern exception_handler

; Vectors 0-31 are exceptions, 32-255 interrupts; exception_handler tells them apart.
; Each stub is 16 bytes so C can find stub N at isr_stubs + 16 * N
; (no address table, so no relocations are needed in the UEFI image).
; SDM Vol. 3A 6.13: vectors 8, 10-14, 17, 21, 29, 30 push an error code.
%macro STUB 1
align 16
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
	push qword %1
	jmp isr_common
%else
	push qword 0
	push qword %1
	jmp isr_common
%endif
%endmacro

global isr_stubs
align 16
isr_stubs:
%assign v 0
%rep 256
	STUB v
%assign v v+1
%endrep

; Stack at entry of isr_common: vector, error code, RIP, CS, RFLAGS, RSP, SS.
isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp                ; struct exception_frame *
	mov rbx, rsp
	and rsp, -16
	cld
	call exception_handler
	mov rsp, rbx
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16
	iretq

; void gdt_load_asm(const struct desc_ptr *gdtr, u16 tss_sel)
global gdt_load_asm
gdt_load_asm:
	lgdt [rdi]
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax                  ; GS base is written through the MSR afterwards
	lea rax, [.reload]
	push qword 0x08
	push rax
	retfq
.reload:
	ltr si
	ret

; void call_on_stack(void (*fn)(void *), void *arg, u64 stack_top) -- never returns
global call_on_stack
call_on_stack:
	mov rsp, rdx
	xor ebp, ebp
	mov rax, rdi
	mov rdi, rsi
	call rax
.hang:
	cli
	hlt
	jmp .hang

; Recovery points (setjmp/longjmp for the hypervisor): struct jmpbuf is rbx, rbp, r12-r15,
; rsp and the return address, 8 qwords (arch/x86/exceptions.h).
; int arch_setjmp(struct jmpbuf *b): 0 now, the value given to arch_longjmp later
global arch_setjmp
arch_setjmp:
	mov [rdi], rbx
	mov [rdi + 8], rbp
	mov [rdi + 16], r12
	mov [rdi + 24], r13
	mov [rdi + 32], r14
	mov [rdi + 40], r15
	lea rdx, [rsp + 8]              ; the caller's RSP after our return
	mov [rdi + 48], rdx
	mov rdx, [rsp]                  ; return address
	mov [rdi + 56], rdx
	xor eax, eax
	ret

; void arch_longjmp(struct jmpbuf *b, int value) -- never returns
global arch_longjmp
arch_longjmp:
	mov rbx, [rdi]
	mov rbp, [rdi + 8]
	mov r12, [rdi + 16]
	mov r13, [rdi + 24]
	mov r14, [rdi + 32]
	mov r15, [rdi + 40]
	mov rsp, [rdi + 48]
	mov eax, esi
	jmp [rdi + 56]
