/* SPDX-License-Identifier: MIT */
/*
 * test_probe.c - the probe object through the public API, against the
 * scripted server (tests/lib/scriptsrv.h) in this process: one callback
 * per probe whatever happens, cancel and free at every point, names through
 * the in-process DNS server and the hosts file, the deadline, many probes at
 * once, the options' refusals, and falling back to the next address. The
 * dialog's own behaviours are in test_dialog.c.
 */
#include "probefx.h"

/* ============================================= 7. one completion */

static void
test_once_on_completion(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_true(f->done_flag_in_cb);
	settle(f);
	assert_int_equal(f->ndone, 1);
	/* Cancelling a finished probe changes nothing. */
	smtpprobe_probe_cancel(f->probe);
	assert_int_equal(f->ndone, 1);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	smtpprobe_probe_free(f->probe);
	f->probe = NULL;
	assert_int_equal(f->ndone, 1);
}

static void
test_cancel_while_connecting(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	serve(f, &sc);
	start(f);
	assert_false(smtpprobe_probe_done(f->probe));
	smtpprobe_probe_cancel(f->probe);
	assert_int_equal(f->ndone, 1);   /* before cancel returned */
	assert_true(f->done_flag_in_cb);
	assert_true(smtpprobe_probe_done(f->probe));
	r = smtpprobe_probe_result(f->probe, 0);
	assert_non_null(r);
	expect_status(r, SMTPPROBE_CANCELLED, SMTPPROBE_STAGE_CONNECT);
	smtpprobe_probe_cancel(f->probe);
	settle(f);
	assert_int_equal(f->ndone, 1);
	smtpprobe_probe_free(f->probe);
	f->probe = NULL;
	assert_int_equal(f->ndone, 1);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;

	(void)fd;
	(void)what;
	switch (f->timer_action) {
	case T_CANCEL:
		smtpprobe_probe_cancel(f->probe);
		break;
	case T_FREE:
		smtpprobe_probe_free(f->probe);
		f->probe = NULL;
		break;
	case T_NONE:
		break;
	}
	f->ndone_after_action = f->ndone;
	event_base_loopbreak(f->base);
}

static void
set_timer(struct fx *f, unsigned ms)
{
	struct timeval tv = { 0, (suseconds_t)ms * 1000 };

	f->timer = evtimer_new(f->base, timer_cb, f);
	assert_non_null(f->timer);
	evtimer_add(f->timer, &tv);
}

static void
test_cancel_while_waiting_for_banner(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = NULL };
	const smtpprobe_result *r;

	serve(f, &sc);
	start(f);
	f->timer_action = T_CANCEL;
	set_timer(f, 100);
	run(f);
	assert_int_equal(f->ndone, 1);
	assert_int_equal(f->ndone_after_action, 1); /* the callback ran inside cancel */
	assert_int_equal(f->srv->naccepted, 1);
	r = smtpprobe_probe_result(f->probe, 0);
	expect_status(r, SMTPPROBE_CANCELLED, SMTPPROBE_STAGE_BANNER);
	assert_true(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_CONNECT));
	settle(f);
	assert_int_equal(f->ndone, 1);
	/* The connection was closed: the server saw EOF. */
	assert_true(ss_first_conn(f->srv)->closed);
}

static void
test_free_running_probe(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = NULL };

	serve(f, &sc);
	start(f);
	f->timer_action = T_FREE;
	set_timer(f, 100);
	run(f);
	assert_null(f->probe);
	assert_int_equal(f->ndone_after_action, 1);
	assert_int_equal(f->snap_status, SMTPPROBE_CANCELLED);
	assert_int_equal(f->snap_stage, SMTPPROBE_STAGE_BANNER);
	settle(f);
	assert_int_equal(f->ndone, 1);
	assert_true(ss_first_conn(f->srv)->closed);
}

/* The callback frees the probe too, as the header allows: no double free. */
static void
test_free_running_probe_callback_frees(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = NULL };
	smtpprobe_probe *p;

	serve(f, &sc);
	start(f);
	f->free_in_done = true;
	p = f->probe;
	f->probe = NULL;   /* the callback must not match it */
	smtpprobe_probe_free(p);
	assert_int_equal(f->ndone, 1);
	assert_int_equal(f->snap_status, SMTPPROBE_CANCELLED);
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_done_frees_probe(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };

	serve(f, &sc);
	f->free_in_done = true;
	start(f);
	run(f);
	assert_int_equal(f->ndone, 1);
	assert_null(f->probe);
	assert_int_equal(f->snap_status, SMTPPROBE_OK);
	assert_int_equal(f->snap_stage, SMTPPROBE_STAGE_QUIT);
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_done_frees_probe_on_timeout(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = NULL };

	assert_int_equal(smtpprobe_opts_set_timeout_ms(f->opts, 100), 0);
	serve(f, &sc);
	f->free_in_done = true;
	start(f);
	run(f);
	assert_int_equal(f->ndone, 1);
	assert_null(f->probe);
	assert_int_equal(f->snap_status, SMTPPROBE_E_TIMEOUT);
	assert_string_equal(f->snap_reason, "banner timeout after 0.100s");
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_done_frees_probe_on_cancel(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };

	serve(f, &sc);
	f->free_in_done = true;
	start(f);
	smtpprobe_probe_cancel(f->probe);
	assert_int_equal(f->ndone, 1);
	assert_null(f->probe);
	assert_int_equal(f->snap_status, SMTPPROBE_CANCELLED);
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_start_refuses_no_host(void **state)
{
	struct fx *f = *state;
	smtpprobe_probe *p;

	errno = 0;
	p = smtpprobe_probe_start(f->base, f->opts, &done_cb, f);
	assert_null(p);
	assert_int_equal(errno, EINVAL);
	/* Nor without a done callback, or a base. */
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "127.0.0.1", 25), 0);
	errno = 0;
	assert_null(smtpprobe_probe_start(f->base, f->opts, &(smtpprobe_callbacks){ NULL, NULL }, f));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(smtpprobe_probe_start(NULL, f->opts, &done_cb, f));
	assert_int_equal(errno, EINVAL);
	settle(f);
	assert_int_equal(f->ndone, 0);
}

/* A copy outlives its original and changes on its own. */
static void
test_opts_dup(void **state)
{
	smtpprobe_opts *o = smtpprobe_opts_new(), *c;

	(void)state;
	assert_non_null(o);
	assert_int_equal(smtpprobe_opts_set_mx(o, "example.test", 2525), 0);
	assert_int_equal(smtpprobe_opts_set_timeout_ms(o, 1234), 0);
	assert_non_null(c = smtpprobe_opts_dup(o));
	smtpprobe_opts_free(o);
	assert_string_equal(smtpprobe_opts_mx_domain(c), "example.test");
	assert_int_equal(smtpprobe_opts_port(c), 2525);
	assert_int_equal(smtpprobe_opts_timeout_ms(c), 1234);
	assert_non_null(o = smtpprobe_opts_dup(c));
	assert_int_equal(smtpprobe_opts_set_host(c, "mx.example.test", 25), 0);
	assert_null(smtpprobe_opts_mx_domain(c));
	assert_int_equal(smtpprobe_opts_host_count(c), 1);
	assert_string_equal(smtpprobe_opts_mx_domain(o), "example.test");
	assert_int_equal(smtpprobe_opts_host_count(o), 0);
	smtpprobe_opts_free(c);
	smtpprobe_opts_free(o);
	errno = 0;
	assert_null(smtpprobe_opts_dup(NULL));
	assert_int_equal(errno, EINVAL);
}

/* A DNS server that takes queries and never answers. */
static void
dns_sink(struct fx *f)
{
	struct sockaddr_in sin = { 0 };
	socklen_t len = sizeof(sin);

	f->udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f->udp >= 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->udp, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(f->udp, (struct sockaddr *)&sin, &len), 0);
	f->udp_port = ntohs(sin.sin_port);
	assert_int_equal(smtpprobe_opts_set_dns_server(f->opts, "127.0.0.1", f->udp_port), 0);
}

static bool
dns_sink_got_query(struct fx *f)
{
	char buf[512];

	return recv(f->udp, buf, sizeof(buf), MSG_DONTWAIT) > 0;
}

/*
 * A DNS server that answers: A queries with 127.0.0.1, AAAA with no data,
 * or everything with f->dns_rcode when that is set.
 */
static void
dns_answer_cb(evutil_socket_t fd, short what, void *arg)
{
	static const unsigned char a_rr[] = {
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1,
	};
	struct fx *f = arg;
	unsigned char q[512], out[600];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;
	size_t qend = 12, len;
	unsigned qtype;
	bool answer;

	(void)what;
	n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fromlen);
	if (n < 12)
		return;
	while (qend < (size_t)n && q[qend] != 0)
		qend += (size_t)q[qend] + 1;
	qend += 5;
	if (qend > (size_t)n)
		return;
	f->dns_queries++;
	qtype = (unsigned)q[qend - 4] << 8 | q[qend - 3];
	answer = f->dns_rcode == 0 && qtype == 1;
	memcpy(out, q, qend);
	out[2] = 0x81;                       /* QR, RD */
	out[3] = (unsigned char)(0x80 | f->dns_rcode); /* RA, rcode */
	out[4] = 0, out[5] = 1;              /* one question */
	out[6] = 0, out[7] = answer ? 1 : 0;
	memset(out + 8, 0, 4);               /* no authority, no additional */
	len = qend;
	if (answer) {
		memcpy(out + len, a_rr, sizeof(a_rr));
		len += sizeof(a_rr);
	}
	(void)sendto(fd, out, len, 0, (struct sockaddr *)&from, fromlen);
}

static void
dns_server(struct fx *f)
{
	dns_sink(f);
	f->udp_ev = event_new(f->base, f->udp, EV_READ | EV_PERSIST, dns_answer_cb, f);
	assert_non_null(f->udp_ev);
	event_add(f->udp_ev, NULL);
}

static void
test_dns_name(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	dns_server(f);
	f->srv = server_new(f->base, &sc);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "mx.probe.invalid", f->srv->port), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_host(r), "mx.probe.invalid");
	assert_string_equal(smtpprobe_result_addr(r), "127.0.0.1");
	assert_true(f->dns_queries >= 1);
	assert_true(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_DNS));
	assert_true(smtpprobe_probe_dns_usec(f->probe) > 0);
	assert_int_equal(smtpprobe_stage_usec(r, SMTPPROBE_STAGE_DNS), smtpprobe_probe_dns_usec(f->probe));
	assert_true(smtpprobe_stage_start_usec(r, SMTPPROBE_STAGE_CONNECT) >=
	    smtpprobe_stage_start_usec(r, SMTPPROBE_STAGE_DNS) + smtpprobe_probe_dns_usec(f->probe));
	/* Freeing a probe that used the resolver must be clean too. */
	smtpprobe_probe_free(f->probe);
	f->probe = NULL;
	assert_int_equal(f->ndone, 1);
}

static void
test_dns_nxdomain(void **state)
{
	struct fx *f = *state;
	const smtpprobe_result *r;

	dns_server(f);
	f->dns_rcode = 3;
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "nx.probe.invalid", 2525), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS);
	assert_string_equal(smtpprobe_result_reason(r), "DNS lookup of nx.probe.invalid failed: NXDOMAIN");
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_CONNECT));
	assert_int_equal(smtpprobe_exchange_count(r), 0);
}

static void
test_cancel_during_dns(void **state)
{
	struct fx *f = *state;
	const smtpprobe_result *r;

	dns_sink(f);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "nowhere.invalid", 2525), 0);
	start(f);
	smtpprobe_probe_cancel(f->probe);
	assert_int_equal(f->ndone, 1);
	r = smtpprobe_probe_result(f->probe, 0);
	assert_non_null(r);
	expect_status(r, SMTPPROBE_CANCELLED, SMTPPROBE_STAGE_DNS);
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_free_during_dns(void **state)
{
	struct fx *f = *state;

	dns_sink(f);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "nowhere.invalid", 2525), 0);
	start(f);
	f->timer_action = T_FREE;
	set_timer(f, 50);
	run(f);
	assert_int_equal(f->ndone_after_action, 1);
	assert_int_equal(f->snap_status, SMTPPROBE_CANCELLED);
	assert_int_equal(f->snap_stage, SMTPPROBE_STAGE_DNS);
	assert_true(dns_sink_got_query(f));
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_dns_timeout(void **state)
{
	struct fx *f = *state;
	const smtpprobe_result *r;

	dns_sink(f);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "nowhere.invalid", 2525), 0);
	assert_int_equal(smtpprobe_opts_set_timeout_ms(f->opts, 300), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_DNS);
	assert_string_equal(smtpprobe_result_reason(r), "dns timeout after 0.300s");
	check_elapsed(f, 300000, 1000000);
	assert_true(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_DNS));
	assert_true(smtpprobe_probe_dns_usec(f->probe) >= 250000);
	assert_true(dns_sink_got_query(f));
}

/*
 * "A session can be created and destroyed a million times in one process
 * without growth": the heap in use must not grow with the number of probes
 * started, cancelled during DNS and freed. (Under valgrind or ASan the
 * allocator is replaced and this measures nothing; they see leaks anyway.)
 */
static size_t
heap_in_use(void)
{
	return mallinfo2().uordblks;
}

static void
test_no_growth_dns_cancel(void **state)
{
	struct fx *f = *state;
	size_t before, after;

	dns_sink(f);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "nowhere.invalid", 2525), 0);
	for (int round = 0; round < 2; round++) {
		before = heap_in_use();
		for (int i = 0; i < 300; i++) {
			start(f);
			smtpprobe_probe_cancel(f->probe);
			smtpprobe_probe_free(f->probe);
			f->probe = NULL;
		}
		after = heap_in_use();
	}
	assert_int_equal(f->ndone, 600);
	if (after > before + 300 * 16)
		print_message("# heap grew by %zu bytes over 300 probes\n", after - before);
	assert_true(after <= before + 300 * 16);
}

static void
test_no_growth_dialogs(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	size_t before = 0, after = 0;

	serve(f, &sc);
	for (int round = 0; round < 2; round++) {
		before = heap_in_use();
		for (int i = 0; i < 100; i++) {
			f->ndone = 0;
			(void)probe(f);
			smtpprobe_probe_free(f->probe);
			f->probe = NULL;
		}
		/* The server's records of past connections are not the library's. */
		ss_free(f->srv);
		serve(f, &sc);
		after = heap_in_use();
	}
	if (after > before + 100 * 16)
		print_message("# heap grew by %zu bytes over 100 dialogs\n", after - before);
	assert_true(after <= before + 100 * 16);
}

/* ============================================= 8. many probes */

static void
on_many_done(smtpprobe_probe *p, void *arg)
{
	struct fx *f = arg;

	(void)p;
	if (++f->nmany_done == NMANY)
		event_base_loopbreak(f->base);
}

static void
test_many_probes(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_callbacks cb = { on_many_done, NULL };
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 3 * NMANY) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 1024 ? 1024 : rl.rlim_max;
		if (rl.rlim_cur < 3 * NMANY || setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			print_message("# RLIMIT_NOFILE too low for %d probes\n", NMANY);
			skip();
		}
	}
	serve(f, &sc);
	for (size_t i = 0; i < NMANY; i++) {
		f->many[i] = smtpprobe_probe_start(f->base, f->opts, &cb, f);
		assert_non_null(f->many[i]);
	}
	run(f);
	assert_int_equal(f->nmany_done, NMANY);
	for (size_t i = 0; i < NMANY; i++) {
		const smtpprobe_result *r = smtpprobe_probe_result(f->many[i], 0);

		assert_true(smtpprobe_probe_done(f->many[i]));
		expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
		assert_int_equal(smtpprobe_exchange_count(r), 3);
	}
	assert_int_equal(f->srv->naccepted, NMANY);
	assert_int_equal(f->srv->nquits, NMANY);
	settle(f);
	assert_int_equal(f->nmany_done, NMANY);
}

/* ============================================= 9. options */

#define REFUSED(call) do { \
	errno = 0; \
	assert_int_equal((call), -1); \
	assert_int_equal(errno, EINVAL); \
} while (0)

static void
test_options_refuse_crlf(void **state)
{
	struct fx *f = *state;
	smtpprobe_opts *o = f->opts;
	static const char *const bad[] = {
		"a\r\nRCPT TO:<x@y>", "a\rb", "a\nb", "\r\n", "trailing\n",
	};

	for (size_t i = 0; i < NELEM(bad); i++) {
		REFUSED(smtpprobe_opts_set_from(o, bad[i]));
		REFUSED(smtpprobe_opts_add_rcpt(o, bad[i]));
		REFUSED(smtpprobe_opts_set_helo_name(o, bad[i]));
		REFUSED(smtpprobe_opts_add_command(o, bad[i]));
		REFUSED(smtpprobe_opts_set_subject(o, bad[i]));
		REFUSED(smtpprobe_opts_set_notify(o, bad[i]));
		REFUSED(smtpprobe_opts_set_host(o, bad[i], 25));
	}
	REFUSED(smtpprobe_opts_add_header(o, "X-A: b\r\nBcc: victim@example.org"));
	REFUSED(smtpprobe_opts_add_header(o, "X-A: b\n"));
	REFUSED(smtpprobe_opts_add_header(o, "X-A:\rb"));
	REFUSED(smtpprobe_opts_set_body(o, "a\0b", 3));
	/* The good ones still pass. */
	assert_int_equal(smtpprobe_opts_set_from(o, ""), 0);
	assert_int_equal(smtpprobe_opts_add_header(o, "X-A: b"), 0);
	assert_int_equal(smtpprobe_opts_set_notify(o, "SUCCESS,FAILURE"), 0);
	assert_int_equal(smtpprobe_opts_add_command(o, "NOOP"), 0);
}

/* A refused value leaves nothing behind: the dialog is the default one. */
static void
test_options_refused_values_not_sent(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	REFUSED(smtpprobe_opts_add_command(f->opts, "NOOP\r\nVRFY root"));
	REFUSED(smtpprobe_opts_add_rcpt(f->opts, "x@y>\r\nRCPT TO:<z@w"));
	REFUSED(smtpprobe_opts_set_helo_name(f->opts, "evil\r\nMAIL FROM:<x>"));
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	CHECK_CMDS(ss_first_conn(f->srv), "EHLO client.probe.test", "QUIT");
}

static void
test_options_refuse_brackets_and_space(void **state)
{
	struct fx *f = *state;
	smtpprobe_opts *o = f->opts;
	static const char *const bad[] = {
		"<a@example.org>", "a@example.org>", "<a@example.org", "a b@example.org",
		"a@example.org SIZE=1", "a@example.org\tx",
	};

	for (size_t i = 0; i < NELEM(bad); i++) {
		REFUSED(smtpprobe_opts_set_from(o, bad[i]));
		REFUSED(smtpprobe_opts_add_rcpt(o, bad[i]));
	}
	REFUSED(smtpprobe_opts_add_rcpt(o, ""));
	REFUSED(smtpprobe_opts_add_rcpt(o, NULL));
	REFUSED(smtpprobe_opts_set_notify(o, "SUCCESS FAILURE"));
	assert_int_equal(smtpprobe_opts_add_rcpt(o, "a@example.org"), 0);
}

static void
test_options_ranges(void **state)
{
	struct fx *f = *state;
	smtpprobe_opts *o = f->opts;

	REFUSED(smtpprobe_opts_set_quit_after(o, SMTPPROBE_STAGE_DATA));
	REFUSED(smtpprobe_opts_set_quit_after(o, SMTPPROBE_STAGE_QUIT));
	REFUSED(smtpprobe_opts_set_quit_after(o, SMTPPROBE_STAGE_DNS));
	REFUSED(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 3));
	REFUSED(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 1));
	REFUSED(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 6));
	REFUSED(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_COUNT, 2));
	REFUSED(smtpprobe_opts_set_timeout_ms(o, 0));
	REFUSED(smtpprobe_opts_set_host(o, NULL, 25));
	REFUSED(smtpprobe_opts_set_host(o, "", 25));
	REFUSED(smtpprobe_opts_set_host(o, "127.0.0.1", 65536));
	REFUSED(smtpprobe_opts_set_family(o, (smtpprobe_family)7));
	assert_int_equal(smtpprobe_opts_set_quit_after(o, SMTPPROBE_STAGE_RCPT), 0);
	assert_int_equal(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 4), 0);
	assert_int_equal(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 0), 0);
	assert_int_equal(smtpprobe_opts_set_timeout_ms(o, 1), 0);
}

/* set_port keeps the targets, and what was set reads back as set. */
static void
test_options_read_back(void **state)
{
	smtpprobe_opts *o = smtpprobe_opts_new();

	(void)state;
	assert_non_null(o);
	assert_int_equal(smtpprobe_opts_port(o), 0);
	assert_int_equal(smtpprobe_opts_host_count(o), 0);
	assert_null(smtpprobe_opts_mx_domain(o));
	assert_int_equal(smtpprobe_opts_max_targets(o), 32);
	assert_int_equal(smtpprobe_opts_expect_class(o, SMTPPROBE_STAGE_RCPT), 0);
	assert_int_equal(smtpprobe_opts_expect_class(o, SMTPPROBE_STAGE_COUNT), 0);

	assert_int_equal(smtpprobe_opts_set_host(o, "a.example.org", 0), 0);
	assert_int_equal(smtpprobe_opts_add_host(o, "b.example.org"), 0);
	assert_int_equal(smtpprobe_opts_set_port(o, 2525), 0);
	assert_int_equal(smtpprobe_opts_port(o), 2525);
	assert_int_equal(smtpprobe_opts_host_count(o), 2);
	REFUSED(smtpprobe_opts_set_port(o, 65536));
	assert_int_equal(smtpprobe_opts_port(o), 2525);

	assert_int_equal(smtpprobe_opts_set_mx(o, "example.org", smtpprobe_opts_port(o)), 0);
	assert_int_equal(smtpprobe_opts_host_count(o), 0);
	assert_string_equal(smtpprobe_opts_mx_domain(o), "example.org");
	assert_int_equal(smtpprobe_opts_port(o), 2525);
	assert_int_equal(smtpprobe_opts_set_port(o, 0), 0);
	assert_string_equal(smtpprobe_opts_mx_domain(o), "example.org");

	assert_int_equal(smtpprobe_opts_set_max_targets(o, 5), 0);
	assert_int_equal(smtpprobe_opts_max_targets(o), 5);
	assert_int_equal(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 5), 0);
	assert_int_equal(smtpprobe_opts_expect_class(o, SMTPPROBE_STAGE_RCPT), 5);
	smtpprobe_opts_free(o);
}

/* ============================================= 10, 11. hosts file */

static void
hosts_file(struct fx *f, const char *text)
{
	int fd;

	snprintf(f->hosts, sizeof(f->hosts), "/tmp/test_probe_hosts.XXXXXX");
	fd = mkstemp(f->hosts);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(smtpprobe_opts_set_hosts_file(f->opts, f->hosts), 0);
}

static void
test_hosts_file_name(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	dns_sink(f);
	f->srv = server_new(f->base, &sc);
	hosts_file(f, "# test\n10.0.0.1 other.invalid\n127.0.0.1\tprobe-test.invalid alias.invalid\n");
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "probe-test.invalid", f->srv->port), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_addr(r), "127.0.0.1");
	assert_string_equal(smtpprobe_result_host(r), "probe-test.invalid");
	assert_int_equal(smtpprobe_result_port(r), f->srv->port);
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_DNS));
	assert_int_equal(smtpprobe_probe_dns_usec(f->probe), -1);
	assert_false(dns_sink_got_query(f));
	assert_int_equal(f->srv->naccepted, 1);
}

static bool
ipv6_loopback_usable(void)
{
	struct sockaddr_in6 sin6 = { 0 };
	evutil_socket_t fd = socket(AF_INET6, SOCK_STREAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	evutil_closesocket(fd);
	return ok;
}

static void
test_fallback_across_addresses(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;
	const char *notes;

	if (!ipv6_loopback_usable()) {
		print_message("# ::1 is not usable here\n");
		skip();
	}
	dns_sink(f);
	f->srv = server_new(f->base, &sc);  /* 127.0.0.1 only */
	hosts_file(f, "::1 two.invalid\n127.0.0.1 two.invalid\n");
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "two.invalid", f->srv->port), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_addr(r), "127.0.0.1");
	assert_string_equal(smtpprobe_result_host(r), "two.invalid");
	notes = smtpprobe_result_notes(r);
	print_message("# notes: %s\n", notes);
	assert_non_null(strstr(notes, "::1"));
	assert_non_null(strstr(notes, strerror(ECONNREFUSED)));
	assert_false(dns_sink_got_query(f));
	assert_int_equal(f->srv->naccepted, 1);
	settle(f);
	assert_int_equal(f->ndone, 1);
}

/* ==================================================================== */

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_once_on_completion),
		T(test_cancel_while_connecting),
		T(test_cancel_while_waiting_for_banner),
		T(test_free_running_probe),
		T(test_free_running_probe_callback_frees),
		T(test_done_frees_probe),
		T(test_done_frees_probe_on_timeout),
		T(test_done_frees_probe_on_cancel),
		T(test_start_refuses_no_host),
		T(test_dns_name),
		T(test_dns_nxdomain),
		T(test_cancel_during_dns),
		T(test_free_during_dns),
		T(test_dns_timeout),
		T(test_no_growth_dns_cancel),
		T(test_no_growth_dialogs),
		T(test_many_probes),
		T(test_options_refuse_crlf),
		T(test_options_refused_values_not_sent),
		T(test_options_refuse_brackets_and_space),
		T(test_options_ranges),
		T(test_options_read_back),
		T(test_opts_dup),
		T(test_hosts_file_name),
		T(test_fallback_across_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
