# tests: the integration harness and the core's integration tests.
# Each test_*.py starts the real superd on loopback (tests/integration/harness.py)
# and runs once per event backend; see the harness's header for its environment.
# Tests of other areas (http, exec, controls, systemd) are registered in their
# own fragments and use the same harness.
EXTRA_DIST += tests/integration/harness.py

core_integration_tests = \
	tests/integration/test_cli.py \
	tests/integration/test_config_errors.py \
	tests/integration/test_classic_tcp.py \
	tests/integration/test_classic_udp.py \
	tests/integration/test_processes.py \
	tests/integration/test_lifecycle.py \
	tests/integration/test_scale.py \
	tests/integration/test_logs.py \
	tests/integration/test_stop.py \
	tests/integration/test_logs_json.py \
	tests/integration/test_balance.py

TESTS += $(core_integration_tests)
EXTRA_DIST += $(core_integration_tests)

# The whole suite N times beside stress-ng --cpu 2 (issue 9.10); run by hand
# from a build directory, not by `make check`.
dist_noinst_SCRIPTS += tests/stress.sh
