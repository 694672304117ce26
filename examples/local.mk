# examples: an out-of-tree module (examples/hello), built in `make check`
# with its own Makefile against a staged install of the header and superd.pc.
EXTRA_DIST += examples/hello/hello.c examples/hello/Makefile
TESTS += tests/integration/test_example_module.py
EXTRA_DIST += tests/integration/test_example_module.py
