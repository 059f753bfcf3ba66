# SPDX-License-Identifier: GPL-2.0
# coredomain: build, boot and test the patch series on Linux 6.12.
# 'make help' lists the targets.  Everything lands in build/ and out/.

SHELL := /bin/bash
H := harness
KCONFIG ?= default
CORES ?= 4
THREADS ?= 2
SOCKETS ?= 1
MEM ?= 1G
APPEND ?= core_domain=on
QUICK ?= 0
export KCONFIG CORES THREADS SOCKETS MEM TIMEOUT APPEND ICOUNT JOBS CONTEND CONTEND_CPU

MINUTES ?= 10

.PHONY: help run test fresh-root buildcheck model bench soak vm shell kernel assemble refresh reassemble \
	patchset checkpatch clean distclean

help:
	@echo "make run         build, boot the SMT guest and run the demo"
	@echo "make test        build and run every suite; ends 'N passed, N failed'"
	@echo "make fresh-root  harness/deps.sh and 'make run' in a fresh Debian 12 root"
	@echo "                 (FRESH_CMD='make test' for CI, FRESH_WITHOUT=rsync must fail)"
	@echo "make buildcheck  Debian's config with the option on and off, and every prefix"
	@echo "                 of the series (bisect); CHECKS='distro' or 'bisect' for one"
	@echo "make model       check the Promela model of the per-core arbitration (spin)"
	@echo "make soak MINUTES=N  stress mix + fuzzer on the debug kernel for N minutes"
	@echo "make bench       vanilla/nosmt/upstream/coredomain benchmarks -> out/bench (QUICK=1: ~15-25 min)"
	@echo "                 KCONFIG=debug (lockdep etc.), KCONFIG='default debug'"
	@echo "make vm CMD='..' FILES='..'  run CMD in the guest with host FILES"
	@echo "make shell       interactive guest shell"
	@echo "make kernel      build the kernel only (KCONFIG=default|debug|upstream|vanilla)"
	@echo "make refresh     export commits made in build/src back to patches/"
	@echo "make reassemble  drop uncommitted work in build/src and re-apply the series"
	@echo "make patchset    git format-patch series + cover letter in out/patchset/"
	@echo "make checkpatch  scripts/checkpatch.pl --strict over the series"
	@echo "Topology: CORES=$(CORES) THREADS=$(THREADS) SOCKETS=$(SOCKETS) MEM=$(MEM)"

run: kernel
	@$(H)/initramfs.sh $(firstword $(KCONFIG)) out/run/initramfs.cpio
	@STREAM=1 $(H)/boot.sh $(firstword $(KCONFIG)) out/run/initramfs.cpio run out/run

test:
	@$(H)/test.sh

fresh-root:
	@$(H)/freshroot.sh

buildcheck:
	@$(H)/buildcheck.sh $(CHECKS)

model:
	@$(H)/deps.sh
	@$(H)/model.sh

# No 'assemble' prerequisite: bench.sh assembles only when build/src does
# not exist, and otherwise measures build/src as it is.
bench:
	@$(H)/deps.sh
	@QUICK=$(QUICK) bench/bench.sh

soak:
	@$(H)/soak.sh $(MINUTES)

vm: kernel
	@test -n "$(CMD)" || { echo "usage: make vm CMD='command' [FILES='host files']"; exit 2; }
	@CMD='$(subst ','\'',$(CMD))' $(H)/initramfs.sh $(firstword $(KCONFIG)) out/vm/initramfs.cpio $(FILES)
	@STREAM=1 $(H)/boot.sh $(firstword $(KCONFIG)) out/vm/initramfs.cpio vm out/vm

shell: kernel
	@$(H)/initramfs.sh $(firstword $(KCONFIG)) out/shell/initramfs.cpio $(FILES)
	@$(H)/boot.sh $(firstword $(KCONFIG)) out/shell/initramfs.cpio shell out/shell

kernel: assemble
	@$(H)/kbuild.sh $(firstword $(KCONFIG))

assemble:
	@$(H)/deps.sh
	@$(H)/assemble.sh

refresh:
	@$(H)/refresh.sh

reassemble:
	@$(H)/assemble.sh --force

patchset: assemble
	@$(H)/patchset.sh

checkpatch: patchset
	@$(H)/checkpatch.sh

clean:
	rm -rf out build/obj-* build/initramfs.* build/index.* build/assemble.*

distclean:
	rm -rf out build
