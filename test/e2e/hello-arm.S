@ Bare-metal ARMv7 payload for the U-Boot/QEMU end-to-end test (qemu -M virt).
@ Prints a marker on the PL011 UART, then asks QEMU's PSCI firmware emulation to
@ power off, so the run ends by itself. Position independent (pc-relative adr, no
@ literal pool), although the test links it at 0x40100000.

        .syntax unified
        .arch   armv7-a
        .arch_extension virt            @ hvc
        .arm
        .text
        .global _start

        .equ    UART_BASE, 0x09000000   @ PL011 of -M virt (U-Boot already set it up)
        .equ    UARTDR,    0x00
        .equ    UARTFR,    0x18
        .equ    FR_TXFF,   0x20         @ transmit FIFO full
        .equ    PSCI_SYSTEM_OFF, 0x84000008

_start:
        movw    r1, #:lower16:UART_BASE
        movt    r1, #:upper16:UART_BASE
        adr     r2, message
next:   ldrb    r0, [r2], #1
        cmp     r0, #0
        beq     off
busy:   ldr     r3, [r1, #UARTFR]
        tst     r3, #FR_TXFF
        bne     busy
        str     r0, [r1, #UARTDR]
        b       next

off:    movw    r0, #:lower16:PSCI_SYSTEM_OFF
        movt    r0, #:upper16:PSCI_SYSTEM_OFF
        hvc     #0                      @ the DT says psci method = "hvc" without EL2/EL3
halt:   wfi                             @ only reached if PSCI is unavailable
        b       halt

message:
        .asciz  "HELLO-UIMAGE\r\n"

        @ Never read. The Bad Data CRC test flips a byte here (the last byte of the
        @ image), so a loader that ignored the CRC would still print the marker:
        @ the marker's absence then proves U-Boot refused the image.
        .balign 4
spare:  .word   0
