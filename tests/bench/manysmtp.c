/* SPDX-License-Identifier: MIT */
/*
 * manysmtp - N fake SMTP servers in one process, for the scale part of
 * `make bench`.
 *
 *   manysmtp --count N --banner-delay MS --ready-file FILE
 *
 * Listens on N loopback addresses 127.1.X.Y (Y = 1..250), all on one port:
 * the soak's scripted server (tests/lib/scriptsrv.h, SS_OK) on each, its
 * banner MS milliseconds after the accept (a slow server, so that the checks
 * overlap), commands sent before it answered after it. Once listening it
 * writes the port and then the N addresses, one a line, to FILE
 * (atomically). Runs until SIGTERM or SIGINT.
 *
 * C rather than a script: at N = 1000 the servers must cost the two CPUs
 * little, or the bench measures them instead of the client.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>

/* N checks by one process, then N check_smtp at once from xargs. */
#include "../lib/scriptsrv.h"

#define MAX_COUNT 64000

static struct in_addr
address(unsigned i)
{
	return (struct in_addr){ htonl(0x7f010000u | (i / 250) << 8 | (i % 250 + 1)) };
}

/* The port the kernel gives the first address, taken on all the others. */
static int
listen_all(struct ss_server **srv, unsigned count, struct event_base *base,
    const struct ss_script *sc)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		unsigned i;

		for (i = 0; i < count; i++) {
			sin.sin_addr = address(i);
			sin.sin_port = htons((uint16_t)(i == 0 ? 0 : srv[0]->port));
			if ((srv[i] = ss_new_at(base, sc, &sin)) == NULL)
				break;
		}
		if (i == count)
			return 0;
		/* Taken on some address (a wildcard listener): another port. */
		while (i-- > 0)
			ss_free(srv[i]);
	}
	return -1;
}

static int
write_ready(const char *path, unsigned count, unsigned port)
{
	char tmp[4096], a[INET_ADDRSTRLEN];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%u\n", port);
	for (unsigned i = 0; i < count; i++) {
		struct in_addr in = address(i);

		fprintf(f, "%s\n", inet_ntop(AF_INET, &in, a, sizeof(a)));
	}
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

static void
usage(void)
{
	fprintf(stderr, "usage: manysmtp --count N --banner-delay MS --ready-file FILE\n");
	exit(2);
}

static void
parse_args(int argc, char **argv, unsigned *count, unsigned *delay, const char **ready)
{
	static const struct option lo[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "banner-delay", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'n')
			*count = (unsigned)strtoul(optarg, NULL, 10);
		else if (ch == 'd')
			*delay = (unsigned)strtoul(optarg, NULL, 10);
		else if (ch == 'r')
			*ready = optarg;
		else
			usage();
	}
	if (*count == 0 || *count > MAX_COUNT || *ready == NULL)
		usage();
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	struct event_base *base = event_base_new();
	struct ss_server **srv;
	struct ss_script sc;
	const char *ready = NULL;
	unsigned count = 0, delay_ms = 200;
	struct event *term, *intr;

	parse_args(argc, argv, &count, &delay_ms, &ready);
	signal(SIGPIPE, SIG_IGN);
	sc = *ss_mode_script(SS_OK);
	sc.banner_delay_ms = delay_ms;
	if (base == NULL || (srv = calloc(count, sizeof(*srv))) == NULL ||
	    listen_all(srv, count, base, &sc) == -1) {
		perror("manysmtp: cannot listen on every address");
		return 1;
	}
	if (write_ready(ready, count, srv[0]->port) == -1) {
		perror("manysmtp: cannot write the ready file");
		return 1;
	}
	term = evsignal_new(base, SIGTERM, on_signal, base);
	intr = evsignal_new(base, SIGINT, on_signal, base);
	if (term == NULL || intr == NULL || evsignal_add(term, NULL) == -1 ||
	    evsignal_add(intr, NULL) == -1) {
		fprintf(stderr, "manysmtp: cannot catch SIGTERM\n");
		return 1;
	}
	event_base_dispatch(base);
	return 0;
}
