/*
 * main.c - superd's command line: run, check (-t), detach (-d), version,
 * help.  See the contract's "Command line" section.
 */
#include "conf.h" /* PACKAGE_VERSION comes from -D (no autoconf header) */

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "master.h"
#include "portcheck.h"
#include "rootcheck.h"
#include "runconf.h"

/* Print the usage text to f. */
static void usage(FILE *f)
{
	fputs("usage: superd [-d] -f FILE     run with FILE (-d: detach)\n"
	      "       superd -t -f FILE        check FILE and its modules, bind nothing\n"
	      "       superd -V                print the version\n"
	      "       superd -h | --help       print this help\n"
	      "\n"
	      "  -f FILE  the YAML configuration file\n"
	      "  -t       check FILE (and load every module it names), print\n"
	      "           \"FILE: ok\" or the errors, exit 0 or 1\n"
	      "  -d       detach from the terminal (log: stderr becomes syslog);\n"
	      "           write global.pid_file\n"
	      "  -V       print \"superd VERSION\" and exit\n"
	      "  -h       print this help and exit\n"
	      "\n"
	      "Signals: HUP reloads FILE, TERM/INT stop (open connections get\n"
	      "10 seconds to finish), USR1 reopens the log file.\n"
	      "Environment: SUPERD_MODULE_PATH (colon-separated directories\n"
	      "searched for modules first), SUPERD_EVENT_BACKEND (select, poll\n"
	      "or epoll: overrides global.event_backend).\n",
	      f);
}

/* -t: load and configure everything, bind nothing; warn about addresses
 * start-up could not bind and module code that would run as root. */
static int check_config(const char *path)
{
	struct runconf *rc = runconf_load(path);

	if (!rc)
		return 1;
	portcheck_warn(rc->cfg);
	rootcheck_warn(rc);
	runconf_free(rc);
	printf("%s: ok\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL;
	int check = 0, daemonize = 0, opt;

	signal(SIGPIPE, SIG_IGN);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "f:tdVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'd':
			daemonize = 1;
			break;
		case 'V':
			printf("superd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (optopt == 'f')
				fprintf(stderr, "superd: -f needs a file name\n");
			else if (optopt)
				fprintf(stderr, "superd: unknown option -%c\n", optopt);
			else
				fprintf(stderr, "superd: unknown option %s\n",
				        argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (!path || optind < argc) {
		fprintf(stderr, path ? "superd: unexpected argument '%s'\n"
		                     : "superd: -f FILE is required\n",
		        path ? argv[optind] : "");
		usage(stderr);
		return 2;
	}
	if (check)
		return check_config(path);
	return master_run(path, daemonize);
}
