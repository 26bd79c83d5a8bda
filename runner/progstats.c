// SPDX-License-Identifier: MIT
/* Program cost families: bpf_prog_info's run_cnt and run_time_ns, which the
 * kernel only counts while BPF stats are enabled (sysctl or a
 * BPF_ENABLE_STATS fd). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "prom.h"
#include "progstats.h"

int progstats_add(struct progstats *ps, const char *object, bool label_object, const char *name,
		  const char *type, int fd)
{
	struct progstats_prog *n = realloc(ps->progs, (size_t)(ps->n + 1) * sizeof(*n));
	struct progstats_prog *p;

	if (!n)
		return -ENOMEM;
	ps->progs = n;
	p = &ps->progs[ps->n];
	*p = (struct progstats_prog){ .fd = fd };
	p->object_name = strdup(object);
	p->object = label_object ? strdup(object) : NULL;
	p->name = strdup(name);
	p->type = strdup(type ? type : "unknown");
	ps->n++;
	if (!p->object_name || (label_object && !p->object) || !p->name || !p->type)
		return -ENOMEM;
	return 0;
}

void progstats_free(struct progstats *ps)
{
	for (int i = 0; i < ps->n; i++) {
		free(ps->progs[i].object);
		free(ps->progs[i].object_name);
		free(ps->progs[i].name);
		free(ps->progs[i].type);
	}
	free(ps->progs);
	*ps = (struct progstats){};
}

bool progstats_on(const struct progstats *ps)
{
	char c = '0';
	int fd;

	if (ps->enabled)
		return true;
	fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

int progstats_enable(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

int progstats_read(int fd, uint64_t *runs, uint64_t *run_ns)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*runs = info.run_cnt;
	*run_ns = info.run_time_ns;
	return 0;
}

static void header(struct strbuf *out, const char *name, const char *help, enum prom_type t)
{
	sb_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, prom_type_name(t));
}

static void label(struct strbuf *out, const char *name, const char *v, bool first)
{
	if (!first)
		sb_putc(out, ',');
	sb_puts(out, name);
	sb_add(out, "=\"", 2);
	prom_label_escape(out, v, strlen(v));
	sb_putc(out, '"');
}

/* {object="o",program="p"}: the object label only with several objects */
static void prog_labels(struct strbuf *out, const struct progstats_prog *p)
{
	sb_putc(out, '{');
	if (p->object)
		label(out, "object", p->object, true);
	label(out, "program", p->name, !p->object);
	sb_putc(out, '}');
}

void progstats_render(const struct progstats *ps, struct strbuf *out)
{
	struct bpf_prog_info *info = calloc((size_t)ps->n + 1, sizeof(*info));
	bool *ok = calloc((size_t)ps->n + 1, sizeof(*ok));
	char id[16], tag[2 * BPF_TAG_SIZE + 1];

	if (!info || !ok) {
		free(info);
		free(ok);
		out->err = -ENOMEM;
		return;
	}
	for (int i = 0; i < ps->n; i++) {
		uint32_t len = sizeof(info[i]);

		ok[i] = !bpf_obj_get_info_by_fd(ps->progs[i].fd, &info[i], &len);
	}
	header(out, "ebpfctl_program_info", "A BPF program this run loaded, always 1", PROM_GAUGE);
	for (int i = 0; i < ps->n; i++) {
		const struct progstats_prog *p = &ps->progs[i];

		if (!ok[i])
			continue;
		snprintf(id, sizeof(id), "%u", info[i].id);
		for (int k = 0; k < BPF_TAG_SIZE; k++)
			snprintf(tag + 2 * k, 3, "%02x", info[i].tag[k]);
		sb_puts(out, "ebpfctl_program_info{");
		label(out, "object", p->object_name, true);
		label(out, "program", p->name, false);
		label(out, "type", p->type, false);
		label(out, "id", id, false);
		label(out, "tag", tag, false);
		sb_puts(out, "} 1\n");
	}
	if (progstats_on(ps)) {
		header(out, "ebpfctl_program_run_seconds_total",
		       "Time the kernel spent running the program while BPF stats were on", PROM_COUNTER);
		for (int i = 0; i < ps->n; i++) {
			if (!ok[i])
				continue;
			sb_puts(out, "ebpfctl_program_run_seconds_total");
			prog_labels(out, &ps->progs[i]);
			sb_putc(out, ' ');
			prom_double(out, (double)info[i].run_time_ns / 1e9);
			sb_putc(out, '\n');
		}
		header(out, "ebpfctl_program_runs_total", "Times the program ran while BPF stats were on",
		       PROM_COUNTER);
		for (int i = 0; i < ps->n; i++) {
			if (!ok[i])
				continue;
			sb_puts(out, "ebpfctl_program_runs_total");
			prog_labels(out, &ps->progs[i]);
			sb_putc(out, ' ');
			sb_u64(out, info[i].run_cnt);
			sb_putc(out, '\n');
		}
	}
	free(info);
	free(ok);
}
