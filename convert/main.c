/*
 * main.c - superd-convert FILE_OR_DIR...: read xinetd or inetd.conf
 * configurations, print the superd.yaml that serves the same services.
 * A directory is read as xinetd's includedir; a file is xinetd syntax if
 * it starts with service, defaults or include(dir), else inetd.conf.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convert.h"

/* The usage text. */
static void usage(FILE *f)
{
	fputs("usage: superd-convert FILE_OR_DIR...\n"
	      "       superd-convert -h | --help | -V\n"
	      "\n"
	      "Print on standard output the superd.yaml equivalent to xinetd\n"
	      "(xinetd.conf, includedir, /etc/xinetd.d files or a directory of\n"
	      "them) or inetd.conf configurations.  What superd has no\n"
	      "equivalent for becomes a YAML comment and a warning on standard\n"
	      "error.  Exit 0, or 1 when a file could not be read or parsed\n"
	      "(nothing is printed then), 2 on a bad command line.\n", f);
}

/* Read one argument: a directory, an xinetd file or an inetd.conf. */
static void read_arg(struct cv_doc *d, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		cv_error(d, path, "%m");
		return;
	}
	if (S_ISDIR(st.st_mode))
		cv_read_xinetd_dir(d, path);
	else if (cv_is_xinetd(path)) {
		cv_read_xinetd(d, path, 0);
	} else {
		cv_read_inetd(d, path);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cv_doc d = { 0 };
	size_t converted = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == 'V') {
			printf("superd-convert %s\n", PACKAGE_VERSION);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++)
		read_arg(&d, argv[i]);
	for (size_t i = 0; i < d.nsvcs; i++)
		converted += d.svcs[i]->module != NULL;
	if (!d.errors && converted == 0)
		cv_error(&d, argv[optind], "no service could be converted");
	if (!d.errors)
		cv_emit(&d);
	cv_doc_free(&d);
	return d.errors ? 1 : 0;
}
