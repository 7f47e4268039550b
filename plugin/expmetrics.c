/* SPDX-License-Identifier: MIT */
/*
 * expmetrics.c - the exporter's own metrics (see expmetrics.h). The
 * process_* family reads the names and meanings of Prometheus's client
 * libraries: CPU time and memory from /proc/self/stat, descriptors from
 * /proc/self/fd and the soft RLIMIT_NOFILE.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <smtpprobe.h>

#include "expmetrics.h"
#include "prometheus.h"

void
sp_metrics_init(struct sp_expmetrics *m)
{
	struct timeval tv;

	memset(m, 0, sizeof(*m));
	gettimeofday(&tv, NULL);
	m->start_time = (double)tv.tv_sec + tv.tv_usec / 1e6;
}

void
sp_metrics_free(struct sp_expmetrics *m)
{
	for (size_t i = 0; i < m->nprobes; i++)
		free(m->probes[i].module);
	free(m->probes);
	m->probes = NULL;
	m->nprobes = 0;
}

void
sp_metrics_probe(struct sp_expmetrics *m, const char *module, bool success)
{
	struct sp_module_count *c = NULL, *v;

	for (size_t i = 0; i < m->nprobes && c == NULL; i++)
		if (strcmp(m->probes[i].module, module) == 0)
			c = &m->probes[i];
	if (c == NULL) {
		/* Module names come from the config file only: the list is bounded. */
		if ((v = realloc(m->probes, (m->nprobes + 1) * sizeof(*v))) == NULL)
			return;
		m->probes = v;
		c = &v[m->nprobes];
		*c = (struct sp_module_count){ strdup(module), 0, 0 };
		if (c->module == NULL)
			return;
		m->nprobes++;
	}
	if (success)
		c->success++;
	else
		c->failure++;
}

static void
header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
write_probes(FILE *out, const struct sp_expmetrics *m)
{
	header(out, "smtp_probe_exporter_probes_total", "counter", "Probes run, by module and result.");
	for (size_t i = 0; i < m->nprobes; i++)
		for (int ok = 1; ok >= 0; ok--) {
			fputs("smtp_probe_exporter_probes_total{module=\"", out);
			sp_prometheus_label_value(out, m->probes[i].module);
			fprintf(out, "\",result=\"%s\"} %" PRIu64 "\n", ok ? "success" : "failure",
				ok ? m->probes[i].success : m->probes[i].failure);
		}
	header(out, "smtp_probe_exporter_probes_in_flight", "gauge", "Probes running now.");
	fprintf(out, "smtp_probe_exporter_probes_in_flight %u\n", m->in_flight);
}

static void
write_requests(FILE *out, const struct sp_expmetrics *m)
{
	static const char *const reasons[SP_REJECT_COUNT] = {
		"forbidden", "unknown_module", "bad_request", "concurrency",
	};

	header(out, "smtp_probe_exporter_requests_rejected_total", "counter",
		"Probe requests refused before any connection, by reason.");
	for (int i = 0; i < SP_REJECT_COUNT; i++)
		fprintf(out, "smtp_probe_exporter_requests_rejected_total{reason=\"%s\"} %" PRIu64 "\n",
			reasons[i], m->rejected[i]);
	header(out, "smtp_probe_exporter_config_reloads_total", "counter",
		"Reloads of the modules file (SIGHUP), by result.");
	fprintf(out, "smtp_probe_exporter_config_reloads_total{result=\"success\"} %" PRIu64 "\n",
		m->reloads_ok);
	fprintf(out, "smtp_probe_exporter_config_reloads_total{result=\"failure\"} %" PRIu64 "\n",
		m->reloads_failed);
	header(out, "smtp_probe_exporter_config_last_reload_successful", "gauge",
		"Whether the last load of the modules file succeeded.");
	fprintf(out, "smtp_probe_exporter_config_last_reload_successful %d\n", m->last_reload_ok ? 1 : 0);
	header(out, "smtp_probe_exporter_build_info", "gauge", "The exporter's version, as a label.");
	fprintf(out, "smtp_probe_exporter_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
}

/* Fields 14, 15 (utime, stime, ticks), 23 (vsize), 24 (rss, pages) of /proc/self/stat. */
static int
read_stat(double *cpu, unsigned long long *vsize, unsigned long long *rss)
{
	char buf[1024], *p;
	unsigned long utime, stime;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name, field 2, may hold anything but ends at the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d "
		    "%*u %llu %llu", &utime, &stime, vsize, rss) != 4)
		return -1;
	*cpu = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
	*rss *= (unsigned long long)sysconf(_SC_PAGESIZE);
	return 0;
}

static long
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

static void
write_process(FILE *out, const struct sp_expmetrics *m)
{
	unsigned long long vsize, rss;
	struct rlimit rl;
	double cpu;
	long fds = count_fds();

	if (read_stat(&cpu, &vsize, &rss) == 0) {
		header(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
		fprintf(out, "process_cpu_seconds_total %.2f\n", cpu);
		header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
		fprintf(out, "process_resident_memory_bytes %llu\n", rss);
		header(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
		fprintf(out, "process_virtual_memory_bytes %llu\n", vsize);
	}
	if (fds >= 0) {
		header(out, "process_open_fds", "gauge", "Number of open file descriptors.");
		fprintf(out, "process_open_fds %ld\n", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		header(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		fprintf(out, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	header(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
	fprintf(out, "process_start_time_seconds %.2f\n", m->start_time);
}

void
sp_metrics_write(FILE *out, const struct sp_expmetrics *m)
{
	write_probes(out, m);
	write_requests(out, m);
	write_process(out, m);
}
