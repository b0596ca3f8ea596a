/* Bare-metal payload for the r2d romImage test (test/e2e/romimage-qemu.test.ts). It runs in place from flash after
 * the romImage's setup and copy code, so it is position-independent. It prints on the SCIF (QEMU's second serial
 * port), checks what the board script wrote into SDRAM, reads the boot-parameter page the romImage copied to
 * _text (0x8C010000 for r2d), prints its command line, and ends the run with trapa while SR.BL=1 (reset). */
	.text
	.globl	payload_start
payload_start:
	mova	msg_hello, r0
	bsr	puts
	 mov	r0, r4

	mov.l	sdram, r1		/* what the script's ED/EW/EB wrote */
	mov.l	@r1, r0
	mov.l	want32, r2
	cmp/eq	r2, r0
	bf	writes_bad
	mov.w	@(4, r1), r0		/* sign-extended */
	mov.l	want16, r2
	cmp/eq	r2, r0
	bf	writes_bad
	mov.b	@(6, r1), r0
	cmp/eq	#0x5a, r0
	bf	writes_bad
	mova	msg_writes_ok, r0
	bra	1f
	 nop
writes_bad:
	mova	msg_writes_bad, r0
1:	bsr	puts
	 mov	r0, r4

	mov.l	page, r8		/* the boot-parameter page at _text */
	mov.l	@(24, r8), r0
	mov.l	marker, r2
	cmp/eq	r2, r0
	bf	page_bad
	mova	msg_page_ok, r0
	bra	1f
	 nop
page_bad:
	mova	msg_page_bad, r0
1:	bsr	puts
	 mov	r0, r4

	mova	msg_cmdline, r0
	bsr	puts
	 mov	r0, r4
	mov.l	cmdline, r4
	bsr	puts
	 nop
	mova	msg_end, r0
	bsr	puts
	 mov	r0, r4
	trapa	#0			/* SR.BL is still 1 from reset: QEMU resets, -no-reboot exits */

/* puts(r4): SCIF transmit, polling TDFE before each byte. Clobbers r0-r2, r4. */
puts:
	mov.l	scif, r1
	mov	#0x30, r0		/* SCSCR2: TE | RE */
	mov.w	r0, @(8, r1)
2:	mov.b	@r4+, r2
	tst	r2, r2
	bt	4f
3:	mov.w	@(16, r1), r0		/* SCFSR2 */
	tst	#0x20, r0		/* TDFE */
	bt	3b
	mov	r2, r0
	mov.b	r0, @(12, r1)		/* SCFTDR2 */
	bra	2b
	 nop
4:	rts
	 nop

	.align	2
sdram:	.long	0xac000000
want32:	.long	0x12345678
want16:	.long	0xffffbeef
page:	.long	0x8c010000
marker:	.long	0x53453f1d
cmdline: .long	0x8c010100
scif:	.long	0xffe80000
	.align	2
msg_hello:	.asciz	"HELLO-SH\n"
	.align	2
msg_writes_ok:	.asciz	"SH-HEAD-WRITES-OK\n"
	.align	2
msg_writes_bad:	.asciz	"SH-HEAD-WRITES-BAD\n"
	.align	2
msg_page_ok:	.asciz	"ZERO-PAGE-OK\n"
	.align	2
msg_page_bad:	.asciz	"ZERO-PAGE-BAD\n"
	.align	2
msg_cmdline:	.asciz	"CMDLINE=["
	.align	2
msg_end:	.asciz	"]\n"
