# core/runtime.mk: sources (libsuperdcore_la_SOURCES +=) and unit tests of this part
