# core/systemd.mk: sources and tests of this part
