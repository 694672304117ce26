/*
 * test_loader.c - the module loader: a good module, and each way a .so can
 * be refused, with the exact message at the `module:` node's position.
 * The test modules are built from tests/unit/tmod.c (TMOD_DIR).
 */
#include "conf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "loader.h"

static char last_diag[2048];
static unsigned ndiag;

/* Diagnostics sink: keep the last line. */
static void capture(const char *line)
{
	snprintf(last_diag, sizeof(last_diag), "%s", line);
	ndiag++;
}

/* The `module:` node the messages point at. */
static struct superd_opt module_node = {
	.kind = SUPERD_OPT_SCALAR, .file = "f.yaml", .line = 3, .col = 13,
};

/* A request for spec, relative paths against TMOD_DIR. */
static struct loader_req req_for(const char *spec)
{
	struct loader_req req = {
		.spec = spec, .at = &module_node, .service = "svc",
		.config_dir = TMOD_DIR,
	};
	return req;
}

static void setup(void)
{
	last_diag[0] = '\0';
	ndiag = 0;
	diag_reset();
	diag_set_sink(capture);
	unsetenv("SUPERD_MODULE_PATH");
}

static void teardown(void)
{
	diag_set_sink(NULL);
}

/* Opening spec must fail with exactly want (after the position prefix). */
static void expect_refused(const char *spec, const char *want)
{
	struct loader_req req = req_for(spec);
	struct loaded_module *m = (struct loaded_module *)1;
	char full[2048];

	ck_assert_ptr_null(loader_open(&req, &m));
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(ndiag, 1);
	snprintf(full, sizeof(full), "f.yaml:3:13: service svc: %s", want);
	ck_assert_str_eq(last_diag, full);
}

START_TEST(good_module_by_path)
{
	struct loader_req req = req_for(TMOD_DIR "/tmod_good.so");
	struct loaded_module *m;
	const struct superd_module *d = loader_open(&req, &m);

	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->name, "tmod");
	ck_assert_uint_eq(ndiag, 0);
	ck_assert_int_eq(loader_check_protocols(&req, d, SUPERD_PROTO_TCP |
	                                        SUPERD_PROTO_UDP), 0);
	loader_release(m);
}
END_TEST

/*
 * A module built for ABI 1.0 (its descriptor ends before on_reopen) still
 * loads, and the host sees no on_reopen in it: the field past its end,
 * which here points at abort(), is never read.
 */
START_TEST(abi_1_0_module_loads_without_later_fields)
{
	struct loader_req req = req_for(TMOD_DIR "/tmod_v10.so");
	struct loaded_module *m;
	const struct superd_module *d = loader_open(&req, &m);

	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(ndiag, 0);
	ck_assert_uint_eq(d->abi_minor, 0);
	ck_assert(!MODULE_HAS(d, on_reopen));
	ck_assert(MODULE_HAS(d, on_open));
	loader_release(m);

	req = req_for(TMOD_DIR "/tmod_good.so");
	d = loader_open(&req, &m);
	ck_assert_ptr_nonnull(d);
	ck_assert(MODULE_HAS(d, on_reopen));
	loader_release(m);
}
END_TEST

/* A module built for ABI 1.1 (before host->spawn) loads in a 1.2 host. */
START_TEST(abi_1_1_module_loads)
{
	struct loader_req req = req_for(TMOD_DIR "/tmod_v11.so");
	struct loaded_module *m;
	const struct superd_module *d = loader_open(&req, &m);

	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(ndiag, 0);
	ck_assert_uint_eq(d->abi_minor, 1);
	ck_assert_uint_eq(SUPERD_ABI_MINOR, 2);
	ck_assert(MODULE_HAS(d, on_reopen));
	loader_release(m);
}
END_TEST

START_TEST(good_module_relative_to_config)
{
	struct loader_req req = req_for("tmod_good.so");
	struct loaded_module *m;

	ck_assert_ptr_nonnull(loader_open(&req, &m));
	ck_assert_str_eq(loader_path(m), TMOD_DIR "/tmod_good.so");
	loader_release(m);
}
END_TEST

START_TEST(name_found_on_env_path)
{
	struct loader_req req = req_for("tmod_good");
	struct loaded_module *m;

	setenv("SUPERD_MODULE_PATH", "/nonexistent:" TMOD_DIR, 1);
	ck_assert_ptr_nonnull(loader_open(&req, &m));
	loader_release(m);
}
END_TEST

START_TEST(name_found_on_module_path)
{
	char *dirs[] = { (char *)"/nonexistent", (char *)TMOD_DIR };
	struct loader_req req = req_for("tmod_good");
	struct loaded_module *m;

	req.module_path = dirs;
	req.nmodule_path = 2;
	ck_assert_ptr_nonnull(loader_open(&req, &m));
	loader_release(m);
}
END_TEST

START_TEST(shared_between_services)
{
	struct loader_req req = req_for(TMOD_DIR "/tmod_good.so");
	struct loaded_module *a, *b;

	ck_assert_ptr_nonnull(loader_open(&req, &a));
	ck_assert_ptr_nonnull(loader_open(&req, &b));
	ck_assert_ptr_eq(a, b);
	loader_release(a);
	ck_assert_str_eq(loader_path(b), TMOD_DIR "/tmod_good.so");
	loader_release(b);
}
END_TEST

START_TEST(bad_magic)
{
	expect_refused(TMOD_DIR "/tmod_badmagic.so",
	               TMOD_DIR "/tmod_badmagic.so is not a superd module (bad magic)");
}
END_TEST

START_TEST(bad_abi_major)
{
	char want[512];

	snprintf(want, sizeof(want),
	         "%s/tmod_abi2.so was built for ABI %d.%d, this superd has %d.%d",
	         TMOD_DIR, SUPERD_ABI_MAJOR + 1, SUPERD_ABI_MINOR,
	         SUPERD_ABI_MAJOR, SUPERD_ABI_MINOR);
	expect_refused(TMOD_DIR "/tmod_abi2.so", want);
}
END_TEST

START_TEST(newer_minor)
{
	char want[512];

	snprintf(want, sizeof(want),
	         "%s/tmod_newminor.so was built for ABI %d.%d, this superd has %d.%d",
	         TMOD_DIR, SUPERD_ABI_MAJOR, SUPERD_ABI_MINOR + 1,
	         SUPERD_ABI_MAJOR, SUPERD_ABI_MINOR);
	expect_refused(TMOD_DIR "/tmod_newminor.so", want);
}
END_TEST

START_TEST(no_symbol)
{
	expect_refused(TMOD_DIR "/tmod_nosym.so",
	               TMOD_DIR "/tmod_nosym.so is not a superd module (no 'superd_module' symbol)");
}
END_TEST

START_TEST(missing_file)
{
	expect_refused("/nonexistent/x.so",
	               "cannot load module /nonexistent/x.so: No such file or directory");
}
END_TEST

START_TEST(unknown_name)
{
	expect_refused("nosuchmodule",
	               "module 'nosuchmodule' not found (no nosuchmodule.so in " MODULEDIR ")");
}
END_TEST

START_TEST(protocol_not_served)
{
	struct loader_req req = req_for(TMOD_DIR "/tmod_tcponly.so");
	struct loaded_module *m;
	const struct superd_module *d = loader_open(&req, &m);

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(loader_check_protocols(&req, d, SUPERD_PROTO_TCP |
	                                        SUPERD_PROTO_UNIX), 0);
	ck_assert_int_eq(loader_check_protocols(&req, d, SUPERD_PROTO_UDP), -1);
	ck_assert_str_eq(last_diag, "f.yaml:3:13: service svc: module 'tmod' does not serve udp");
	loader_release(m);
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("loader");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, good_module_by_path);
	tcase_add_test(tc, good_module_relative_to_config);
	tcase_add_test(tc, abi_1_0_module_loads_without_later_fields);
	tcase_add_test(tc, abi_1_1_module_loads);
	tcase_add_test(tc, name_found_on_env_path);
	tcase_add_test(tc, name_found_on_module_path);
	tcase_add_test(tc, shared_between_services);
	tcase_add_test(tc, bad_magic);
	tcase_add_test(tc, bad_abi_major);
	tcase_add_test(tc, newer_minor);
	tcase_add_test(tc, no_symbol);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, unknown_name);
	tcase_add_test(tc, protocol_not_served);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loader_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
