# core/controls.mk: sources and tests of this part
