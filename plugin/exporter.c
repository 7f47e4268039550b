/* SPDX-License-Identifier: MIT */
/*
 * exporter.c - smtp_probe_exporter: a blackbox-style Prometheus exporter
 * (SPEC 10). Reads its options and modules file, listens, and runs every
 * probe on one event loop; SIGHUP reloads the modules (a bad file changes
 * nothing), SIGTERM and SIGINT stop it at once, abandoning probes in flight.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "evbase.h"
#include "explog.h"
#include "exporter.h"

#define DEFAULT_CONFIG "/etc/smtp-probe/exporter.ini"
#define DEFAULT_LISTEN "127.0.0.1:9725"
#define DEFAULT_MAX_CONCURRENT 100
#define MAX_HEADERS_SIZE 8192     /* request line and headers */
#define HEADER_SECONDS 5          /* to send each request whole */
#define MAX_CONNECTIONS 512

struct cli {
	const char *config_file, *listen;
	unsigned max_concurrent;
};

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: smtp_probe_exporter [--config.file=FILE] [--web.listen-address=[ADDR]:PORT]\n"
		"                           [--max-concurrent=N] [--log.level=info|debug] [--help] [--version]\n"
		"\n"
		"A Prometheus exporter for SMTP servers, in blackbox_exporter's manner:\n"
		"  /probe?target=HOST[:PORT]&module=NAME  one fresh check, as check_smtp_probe --output prometheus\n"
		"  /metrics                                the exporter's own metrics\n"
		"  /-/healthy                              200 OK\n"
		"\n"
		"  --config.file=FILE           modules, ini sections of check_smtp_probe long options and\n"
		"                               allow-target= lines (default " DEFAULT_CONFIG ")\n"
		"  --web.listen-address=A:PORT  where to listen (default " DEFAULT_LISTEN "; \":PORT\": everywhere)\n"
		"  --max-concurrent=N           probes at once, 503 past them (default %d)\n"
		"  --log.level=LEVEL            debug, info or error (default info)\n"
		"\n"
		"SIGHUP reloads the modules file; SIGTERM or SIGINT ends the exporter.\n",
		DEFAULT_MAX_CONCURRENT);
}

/* @return 0 to run, 1 to exit 0 (--help, --version), 2 on a usage error. */
static int
parse_cli(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		{ "config.file", required_argument, NULL, 'c' },
		{ "web.listen-address", required_argument, NULL, 'l' },
		{ "max-concurrent", required_argument, NULL, 'm' },
		{ "log.level", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	enum sp_log_level level;
	char *end;
	unsigned long n;
	int ch;

	*c = (struct cli){ DEFAULT_CONFIG, DEFAULT_LISTEN, DEFAULT_MAX_CONCURRENT };
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c->config_file = optarg;
			break;
		case 'l':
			c->listen = optarg;
			break;
		case 'm':
			n = strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end != '\0' || n > 100000) {
				fprintf(stderr, "smtp_probe_exporter: --max-concurrent: 1-100000\n");
				return 2;
			}
			c->max_concurrent = (unsigned)n;
			break;
		case 'L':
			if (sp_log_parse_level(optarg, &level) < 0) {
				fprintf(stderr, "smtp_probe_exporter: --log.level: debug, info or error\n");
				return 2;
			}
			sp_log_set_level(level);
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("smtp_probe_exporter %s (libsmtpprobe %s)\n", PACKAGE_VERSION, smtpprobe_version());
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "smtp_probe_exporter: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* "[ADDR]:PORT", "HOST:PORT" or ":PORT" -> address (all: 0.0.0.0) and port. */
static int
split_listen(const char *s, char *addr, size_t addrlen, unsigned short *port)
{
	const char *colon = strrchr(s, ':');
	const char *a = s;
	size_t alen;
	unsigned long p;
	char *end;

	if (colon == NULL || colon[1] == '\0')
		return -1;
	p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || p == 0 || p > 65535)
		return -1;
	alen = (size_t)(colon - s);
	if (alen >= 2 && s[0] == '[' && s[alen - 1] == ']') {
		a++;
		alen -= 2;
	}
	if (alen >= addrlen)
		return -1;
	if (alen == 0)
		snprintf(addr, addrlen, "0.0.0.0");
	else
		snprintf(addr, addrlen, "%.*s", (int)alen, a);
	*port = (unsigned short)p;
	return 0;
}

/* ------------------------------------------------------------ signals */

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct sp_exporter *x = arg;
	struct sp_modset *ms;
	char err[600], n[16];

	(void)sig;
	(void)what;
	if ((ms = sp_modset_load(x->config_file, err, sizeof(err))) == NULL) {
		x->metrics.reloads_failed++;
		x->metrics.last_reload_ok = false;
		sp_log(SP_LOG_ERROR, "reload failed: the modules stay as they were", "file", x->config_file,
			"err", err, NULL);
		return;
	}
	sp_modset_unref(x->modset); /* probes in flight keep the old set */
	x->modset = ms;
	x->metrics.reloads_ok++;
	x->metrics.last_reload_ok = true;
	snprintf(n, sizeof(n), "%zu", ms->mods.n);
	sp_log(SP_LOG_INFO, "reloaded", "file", x->config_file, "modules", n, NULL);
}

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	struct sp_exporter *x = arg;

	(void)what;
	sp_log(SP_LOG_INFO, "stopping", "signal", sig == SIGINT ? "INT" : "TERM", NULL);
	event_base_loopbreak(x->base);
}

/* ------------------------------------------------------------ main */

static int
listen_on(struct sp_exporter *x, const char *where)
{
	struct evhttp_bound_socket *s;
	unsigned short port;
	char addr[128];

	if (split_listen(where, addr, sizeof(addr), &port) < 0) {
		sp_log(SP_LOG_ERROR, "bad --web.listen-address: give [ADDR]:PORT", "address", where, NULL);
		return -1;
	}
	if ((s = evhttp_bind_socket_with_handle(x->http, addr, port)) == NULL) {
		sp_log(SP_LOG_ERROR, "cannot listen", "address", where, NULL);
		return -1;
	}
	sp_conns_set_listener(x->conns, evhttp_bound_socket_get_listener(s));
	return 0;
}

static int
run(struct sp_exporter *x, const struct cli *c)
{
	struct event *hup, *term, *intr;
	int rc = 1;

	hup = evsignal_new(x->base, SIGHUP, on_hup, x);
	term = evsignal_new(x->base, SIGTERM, on_term, x);
	intr = evsignal_new(x->base, SIGINT, on_term, x);
	if (hup != NULL && term != NULL && intr != NULL && event_add(hup, NULL) == 0 &&
	    event_add(term, NULL) == 0 && event_add(intr, NULL) == 0 && listen_on(x, c->listen) == 0) {
		sp_log(SP_LOG_INFO, "listening", "address", c->listen, "version", PACKAGE_VERSION, NULL);
		event_base_dispatch(x->base);
		rc = 0;
	}
	if (hup != NULL)
		event_free(hup);
	if (term != NULL)
		event_free(term);
	if (intr != NULL)
		event_free(intr);
	return rc;
}

static struct evhttp *
http_new(struct event_base *base)
{
	struct evhttp *http = evhttp_new(base);

	if (http == NULL)
		return NULL;
	evhttp_set_max_headers_size(http, MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(http, 0);
	evhttp_set_timeout(http, HEADER_SECONDS);
	/* Every method reaches the handlers, which answer 405 (evhttp would say 501). */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
		EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
		EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	return http;
}

/*
 * Every probe is a descriptor or more (an MX module dials each address):
 * the soft limit goes as far as the hard one allows.
 */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	struct sp_exporter x = { 0 };
	struct cli c;
	char err[600];
	int rc = parse_cli(argc, argv, &c);

	if (rc != 0)
		return rc == 1 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	sp_metrics_init(&x.metrics);
	x.config_file = c.config_file;
	x.max_concurrent = c.max_concurrent;
	if ((x.modset = sp_modset_load(c.config_file, err, sizeof(err))) == NULL) {
		sp_log(SP_LOG_ERROR, "cannot load the modules", "file", c.config_file, "err", err, NULL);
		return 1;
	}
	x.metrics.last_reload_ok = true;
	rc = 1;
	if ((x.base = sp_event_base_new()) != NULL && (x.http = http_new(x.base)) != NULL &&
	    (x.conns = sp_conns_new(x.base, x.http, MAX_CONNECTIONS, HEADER_SECONDS)) != NULL) {
		sp_http_setup(&x);
		rc = run(&x, &c);
	} else
		sp_log(SP_LOG_ERROR, "out of memory", NULL);
	sp_http_abandon(&x);
	if (x.http != NULL)
		evhttp_free(x.http);
	sp_conns_free(x.conns);
	sp_modset_unref(x.modset);
	sp_metrics_free(&x.metrics);
	if (x.base != NULL)
		event_base_free(x.base);
	if (rc == 0)
		sp_log(SP_LOG_INFO, "stopped", NULL);
	return rc;
}
