# core/config.mk: the configuration layer (YAML tree, diagnostics, module
# option accessors, checked configuration, addresses) and its unit tests.
libsuperdcore_la_SOURCES += core/conftree.c core/diag.c core/options.c
libsuperdcore_la_SOURCES += core/addr.c core/config.c core/config_global.c \
	core/config_check.h
