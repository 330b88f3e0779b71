; VM entry and exit: loads the guest's general registers, VMLAUNCH/VMRESUME, and on VM exit
; saves them back (SDM 27.5: a VM exit loads host RSP/RIP from the VMCS, nothing else).
default rel
bits 64
section .text

; struct guest_regs layout: vmm/guest_regs.h asserts each offset against these numbers
%define R_RAX 0
%define R_RCX 8
%define R_RDX 16
%define R_RBX 24
%define R_RBP 32
%define R_RSI 40
%define R_RDI 48
%define R_R8 56
%define R_R9 64
%define R_R10 72
%define R_R11 80
%define R_R12 88
%define R_R13 96
%define R_R14 104
%define R_R15 112
%define R_CR2 120
%define R_LAUNCHED 128
%define R_HOST_RSP 136
%define R_TSC_GUEST 144
%define R_TSC_EXIT 152

extern vmx_host_rsp_field              ; the HOST_RSP encoding, defined once in C (vmm/vmx.c)

; vmx_enter (RDI = struct guest_regs *): EAX 0 after a VM exit, 1 VMfailInvalid, 2 VMfailValid;
; RDI is the same pointer again on return (vmx_run hands it back to the run loop).
; Called only from vmx_run (vmm/vcpu.c), whose inline asm declares every general register but
; RSP clobbered: the host keeps nothing in registers across a guest run, so nothing of the host's
; is saved or restored here. Guest time is counted here, next to VMRESUME and the exit:
; R_TSC_GUEST accumulates exit TSC - entry TSC, R_TSC_EXIT keeps the last exit's TSC.
global vmx_enter
global vmx_exit_entry
vmx_enter:
	push rdi                        ; regs pointer, found again at [rsp] after the exit
	; The run loop enters from the same stack depth every time: HOST_RSP is written only when
	; it changed (the first entry on a VMCS, vcpu_setup clears the copy).
	cmp rsp, [rdi + R_HOST_RSP]
	je .rsp_ok
	mov rax, [rel vmx_host_rsp_field]
	vmwrite rax, rsp
	jbe .fail_write
	mov [rdi + R_HOST_RSP], rsp
.rsp_ok:
	rdtsc
	shl rdx, 32
	or rax, rdx
	sub [rdi + R_TSC_GUEST], rax
	mov rax, [rdi + R_CR2]
	mov cr2, rax
	cmp byte [rdi + R_LAUNCHED], 0
	mov rax, [rdi + R_RAX]
	mov rcx, [rdi + R_RCX]
	mov rdx, [rdi + R_RDX]
	mov rbx, [rdi + R_RBX]
	mov rbp, [rdi + R_RBP]
	mov rsi, [rdi + R_RSI]
	mov r8, [rdi + R_R8]
	mov r9, [rdi + R_R9]
	mov r10, [rdi + R_R10]
	mov r11, [rdi + R_R11]
	mov r12, [rdi + R_R12]
	mov r13, [rdi + R_R13]
	mov r14, [rdi + R_R14]
	mov r15, [rdi + R_R15]
	mov rdi, [rdi + R_RDI]          ; flags from the cmp survive the moves
	jne .resume
	vmlaunch
	jmp .failed
.resume:
	vmresume
.failed:
	; VMfailInvalid sets CF, VMfailValid sets ZF (SDM 31.2); no guest ran: take back the entry TSC
	mov ecx, 1
	jc .undo
	mov ecx, 2
.undo:
	mov rdi, [rsp]
	rdtsc
	shl rdx, 32
	or rax, rdx
	add [rdi + R_TSC_GUEST], rax
	mov eax, ecx
.out:
	pop rdi
	ret
.fail_write:
	mov eax, 1
	jmp .out

vmx_exit_entry:
	push rdi                        ; guest RDI
	mov rdi, [rsp + 8]              ; regs pointer
	mov [rdi + R_RAX], rax
	mov [rdi + R_RCX], rcx
	mov [rdi + R_RDX], rdx
	mov [rdi + R_RBX], rbx
	mov [rdi + R_RBP], rbp
	mov [rdi + R_RSI], rsi
	mov [rdi + R_R8], r8
	mov [rdi + R_R9], r9
	mov [rdi + R_R10], r10
	mov [rdi + R_R11], r11
	mov [rdi + R_R12], r12
	mov [rdi + R_R13], r13
	mov [rdi + R_R14], r14
	mov [rdi + R_R15], r15
	mov rax, cr2
	mov [rdi + R_CR2], rax
	pop rax
	mov [rdi + R_RDI], rax
	mov byte [rdi + R_LAUNCHED], 1
	rdtsc
	shl rdx, 32
	or rax, rdx
	add [rdi + R_TSC_GUEST], rax
	mov [rdi + R_TSC_EXIT], rax
	xor eax, eax
	jmp vmx_enter.out               ; the stack is as vmx_enter left it before entry
