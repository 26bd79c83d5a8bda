// SPDX-License-Identifier: MIT
/* Probe scaffolds.  A scaffold is assembled from parts: a header comment, the
 * includes, a kernel-side filter, the program type's shared definitions, and
 * for the chosen (map, output) the structs, maps and hook bodies.  Every
 * combination scaffold_supported() accepts compiles, loads and produces
 * output (tests/e2e/test_init.py checks all of them). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "scaffold.h"

const struct scaffold_choice scaffold_progs[SCAFFOLD_NPROG] = {
	[SCAFFOLD_NETWORK] = { "network", "TCP state changes (sock/inet_sock_set_state), IPv4 and IPv6" },
	[SCAFFOLD_FILE] = { "file", "file opens (openat)" },
	[SCAFFOLD_PROCESS] = { "process", "process exec and exit" },
	[SCAFFOLD_SYSCALL] = { "syscall", "system calls, per syscall number" },
};

const struct scaffold_choice scaffold_maps[SCAFFOLD_NMAP] = {
	[SCAFFOLD_RINGBUF] = { "ringbuf", "ring buffer: the probe sends one record per event" },
	[SCAFFOLD_HASH] = { "hash", "hash map: the probe aggregates in the kernel, ebpfctl reads the map" },
};

const struct scaffold_choice scaffold_outputs[SCAFFOLD_NOUT] = {
	[SCAFFOLD_PRINT] = { "print", "JSON lines on stdout" },
	[SCAFFOLD_COUNTER] = { "counter", "Prometheus counter" },
	[SCAFFOLD_GAUGE] = { "gauge", "Prometheus gauge" },
	[SCAFFOLD_HIST] = { "hist", "Prometheus histogram" },
};

int scaffold_lookup(const struct scaffold_choice *table, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(table[i].name, name))
			return i;
	return -1;
}

bool scaffold_supported(int prog, int map, int out, const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (prog < 0 || prog >= SCAFFOLD_NPROG || map < 0 || map >= SCAFFOLD_NMAP || out < 0 ||
	    out >= SCAFFOLD_NOUT) {
		*why = "unknown choice";
		return false;
	}
	if (map == SCAFFOLD_RINGBUF && out == SCAFFOLD_GAUGE) {
		*why = "a gauge is a level kept in a map: use --map-type hash";
		return false;
	}
	if (prog == SCAFFOLD_FILE && out == SCAFFOLD_GAUGE) {
		*why = "file opens have no level to keep (an open file is closed elsewhere): "
		       "use counter or hist, or --program-type network, process or syscall for a gauge";
		return false;
	}
	if (prog == SCAFFOLD_SYSCALL && map == SCAFFOLD_RINGBUF) {
		*why = "one ring buffer record per system call would flood the ring buffer and "
		       "ebpfctl's own writes would feed it: use --map-type hash";
		return false;
	}
	return true;
}

/* ---- text helpers -------------------------------------------------------- */

#define S(text) sb_puts(sb, text)
/* Stands for the object's file name in the body; replaced at assembly. */
#define OBJ_MARK "@OBJECT@"
#define F(...) sb_printf(sb, __VA_ARGS__)

struct desc {
	const char *what;	/* one line: what the probe shows */
	const char *output;	/* comment lines: what ebpfctl run shows */
};

static void emit_ringbuf(struct strbuf *sb, const char *name, const char *type, const char *kind,
			 const char *comment)
{
	F("/* %s */\n", comment);
	S("struct {\n"
	  "\t__uint(type, BPF_MAP_TYPE_RINGBUF);\n"
	  "\t__uint(max_entries, 256 * 1024);\t/* bytes */\n");
	F("\t__type(value, %s);\t/* what each record is: ebpfctl decodes it with BTF */\n", type);
	F("} %s SEC(\".maps.%s\");\n\n", name, kind);
}

/* A ring-buffer hist map: label fields plus a `duration value` observed
 * into the histogram (in seconds). */
static void emit_hist_ringbuf(struct strbuf *sb, const char *label_fields, const char *name)
{
	S("/* The value field (named value) is observed into the histogram; the other\n"
	  " * fields are labels. */\n"
	  "struct event {\n");
	S(label_fields);
	S("\tduration value;\t\t/* nanoseconds, exported in seconds */\n"
	  "};\n\n");
	emit_ringbuf(sb, name, "struct event", "hist",
		     "Histogram: each record's value is observed, labels = other fields.");
}

static void emit_hash(struct strbuf *sb, const char *maptype, const char *name, const char *key,
		      const char *value, const char *section, const char *comment)
{
	F("/* %s */\n", comment);
	F("struct {\n"
	  "\t__uint(type, BPF_MAP_TYPE_%s);\n"
	  "\t__uint(max_entries, 10240);\n"
	  "\t__type(key, %s);\n"
	  "\t__type(value, %s);\n"
	  "} %s SEC(\"%s\");\n\n", maptype, key, value, name, section);
}

static void emit_comm_filter(struct strbuf *sb)
{
	S("/*\n"
	  " * Kernel-side filter, set when the probe is loaded (no rebuild needed):\n"
	  " *   sudo ebpfctl run --set target_comm=curl " OBJ_MARK "\n"
	  " * Empty (the default) means every process.\n"
	  " */\n"
	  "const volatile char target_comm[16] = \"\";\n\n"
	  "static __always_inline bool comm_allowed(const char *comm)\n"
	  "{\n"
	  "\tif (!target_comm[0])\n"
	  "\t\treturn true;\n"
	  "\tfor (int i = 0; i < 16; i++) {\n"
	  "\t\tif (comm[i] != target_comm[i])\n"
	  "\t\t\treturn false;\n"
	  "\t\tif (!comm[i])\n"
	  "\t\t\tbreak;\n"
	  "\t}\n"
	  "\treturn true;\n"
	  "}\n\n");
}

static void emit_count_helper(struct strbuf *sb)
{
	S("/* Add delta to the counter at key, creating the entry on first use. */\n"
	  "static __always_inline void count(void *map, const void *key, u64 delta)\n"
	  "{\n"
	  "\tu64 *v = bpf_map_lookup_elem(map, key);\n\n"
	  "\tif (!v) {\n"
	  "\t\tu64 zero = 0;\n\n"
	  "\t\tbpf_map_update_elem(map, key, &zero, BPF_NOEXIST);\n"
	  "\t\tv = bpf_map_lookup_elem(map, key);\n"
	  "\t\tif (!v)\n"
	  "\t\t\treturn;\t/* map full */\n"
	  "\t}\n"
	  "\t__sync_fetch_and_add(v, delta);\n"
	  "}\n\n");
}

static void emit_gauge_helper(struct strbuf *sb)
{
	S("/* Move the gauge at key up or down, creating the entry on first use. */\n"
	  "static __always_inline void gauge_add(void *map, const void *key, s64 delta)\n"
	  "{\n"
	  "\ts64 *v = bpf_map_lookup_elem(map, key);\n\n"
	  "\tif (!v) {\n"
	  "\t\ts64 zero = 0;\n\n"
	  "\t\tbpf_map_update_elem(map, key, &zero, BPF_NOEXIST);\n"
	  "\t\tv = bpf_map_lookup_elem(map, key);\n"
	  "\t\tif (!v)\n"
	  "\t\t\treturn;\t/* map full */\n"
	  "\t}\n"
	  "\t__sync_fetch_and_add(v, delta);\n"
	  "}\n\n");
}

static void emit_hist_helpers(struct strbuf *sb)
{
	S("#define HIST_SLOTS 48\t/* 2^48 ns: 78 hours */\n\n"
	  "/*\n"
	  " * A log2 histogram of nanoseconds: slots[i] counts values in [2^i, 2^(i+1)-1]\n"
	  " * (slot 0 also counts 0).  ebpfctl exports it as a Prometheus histogram; the\n"
	  " * sum member becomes _sum, and because it is a duration (solo_types.h) the\n"
	  " * bounds and the sum are shown in seconds: le=\"(2^(i+1)-1)/1e9\".\n"
	  " */\n"
	  "struct hist {\n"
	  "\tu32 slots[HIST_SLOTS];\n"
	  "\tduration sum;\n"
	  "};\n\n"
	  "static struct hist zero_hist;\t/* the value of a new entry */\n\n"
	  "/* floor(log2(v)), without a loop for the verifier to walk */\n"
	  "static __always_inline u32 log2_slot(u64 v)\n"
	  "{\n"
	  "\tu32 slot = 0;\n\n"
	  "\tif (v >> 32) { v >>= 32; slot += 32; }\n"
	  "\tif (v >> 16) { v >>= 16; slot += 16; }\n"
	  "\tif (v >> 8) { v >>= 8; slot += 8; }\n"
	  "\tif (v >> 4) { v >>= 4; slot += 4; }\n"
	  "\tif (v >> 2) { v >>= 2; slot += 2; }\n"
	  "\tif (v >> 1)\n"
	  "\t\tslot += 1;\n"
	  "\treturn slot < HIST_SLOTS ? slot : HIST_SLOTS - 1;\n"
	  "}\n\n"
	  "static __always_inline void hist_observe(void *map, const void *key, u64 value)\n"
	  "{\n"
	  "\tstruct hist *h = bpf_map_lookup_elem(map, key);\n\n"
	  "\tif (!h) {\n"
	  "\t\tbpf_map_update_elem(map, key, &zero_hist, BPF_NOEXIST);\n"
	  "\t\th = bpf_map_lookup_elem(map, key);\n"
	  "\t\tif (!h)\n"
	  "\t\t\treturn;\t/* map full */\n"
	  "\t}\n"
	  "\t__sync_fetch_and_add(&h->slots[log2_slot(value)], 1);\n"
	  "\t__sync_fetch_and_add(&h->sum, value);\n"
	  "}\n\n");
}

/* The usual opening of a hook that filters on the current command name. */
static void emit_comm_prologue(struct strbuf *sb)
{
	S("\tchar comm[16];\n\n"
	  "\tbpf_get_current_comm(comm, sizeof(comm));\n"
	  "\tif (!comm_allowed(comm))\n"
	  "\t\treturn 0;\n");
}

static const char comm_key_struct[] =
	"/* Labels: one series per command name. */\n"
	"struct comm_key {\n"
	"\tchar comm[16];\n"
	"};\n\n";

/* ---- process: sched_process_exec / sched_process_exit -------------------- */

/* Opening of the exit hook: fires for every exiting thread. */
static void emit_exit_open(struct strbuf *sb)
{
	S("/* Fires for every exiting thread; only whole processes (thread group\n"
	  " * leaders) are of interest here. */\n"
	  "SEC(\"tp/sched/sched_process_exit\")\n"
	  "int handle_exit(void *ctx)\n"
	  "{\n"
	  "\tu64 id = bpf_get_current_pid_tgid();\n"
	  "\tu32 pid = id >> 32;\n");
}

static const char exit_leader_check[] =
	"\tif ((int)id != pid)\n"
	"\t\treturn 0;\t/* a thread of a process that keeps running */\n";

static void emit_exec_open(struct strbuf *sb, bool need_pid)
{
	S("SEC(\"tp/sched/sched_process_exec\")\n"
	  "int handle_exec(struct trace_event_raw_sched_process_exec *ctx)\n"
	  "{\n");
	if (need_pid)
		S("\tu32 pid = bpf_get_current_pid_tgid() >> 32;\n");
}

static void gen_process(struct strbuf *sb, int map, int out, struct desc *d)
{
	if (out == SCAFFOLD_PRINT || out == SCAFFOLD_COUNTER)
		S("/* Enums are printed by name: \"EXEC\" / \"EXIT\". */\n"
		  "enum proc_event_kind { EXEC = 1, EXIT = 2 };\n\n");
	emit_comm_filter(sb);

	if (map == SCAFFOLD_RINGBUF && out == SCAFFOLD_PRINT) {
		d->what = "process exec and exit events, one JSON line each";
		d->output = " * One JSON line per event on stdout, e.g.\n"
			    " *   {\"time\":\"...\",\"map\":\"events\",\"event\":{\"kind\":\"EXIT\",\"pid\":4242,\n"
			    " *    \"ppid\":4200,\"uid\":1000,\"exit_code\":0,\"signal\":0,\"lifetime\":\"1.52s\",\n"
			    " *    \"comm\":\"make\",\"filename\":\"\"}}\n";
		S("struct event {\n"
		  "\tenum proc_event_kind kind;\n"
		  "\tu32 pid;\n"
		  "\tu32 ppid;\n"
		  "\tu32 uid;\n"
		  "\tint exit_code;\t\t/* EXIT: exit status, 0-255 */\n"
		  "\tsignal_num signal;\t/* EXIT: the signal that killed it (\"SIGKILL\"), else 0 */\n"
		  "\tduration lifetime;\t/* EXIT: how long it ran (\"1.5s\") */\n"
		  "\tchar comm[16];\n"
		  "\tchar filename[128];\t/* EXEC: the program executed */\n"
		  "};\n\n");
		emit_ringbuf(sb, "events", "struct event", "print",
			     "Every record becomes one JSON line on stdout.");
		emit_exec_open(sb, true);
		S("\tstruct task_struct *task = (struct task_struct *)bpf_get_current_task();\n"
		  "\tunsigned int filename_off = ctx->__data_loc_filename & 0xFFFF;\n"
		  "\tstruct event *e;\n");
		emit_comm_prologue(sb);
		S("\n\te = bpf_ringbuf_reserve(&events, sizeof(*e), 0);\n"
		  "\tif (!e)\n"
		  "\t\treturn 0;\t/* ring buffer full: the event is dropped */\n"
		  "\t__builtin_memset(e, 0, sizeof(*e));\n"
		  "\te->kind = EXEC;\n"
		  "\te->pid = pid;\n"
		  "\te->ppid = BPF_CORE_READ(task, real_parent, tgid);\n"
		  "\te->uid = (u32)bpf_get_current_uid_gid();\n"
		  "\t__builtin_memcpy(e->comm, comm, sizeof(comm));\n"
		  "\tbpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + filename_off);\n"
		  "\tbpf_ringbuf_submit(e, 0);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		emit_exit_open(sb);
		S("\tstruct task_struct *task = (struct task_struct *)bpf_get_current_task();\n"
		  "\tstruct event *e;\n"
		  "\tint code;\n");
		emit_comm_prologue(sb);
		S(exit_leader_check);
		S("\n\te = bpf_ringbuf_reserve(&events, sizeof(*e), 0);\n"
		  "\tif (!e)\n"
		  "\t\treturn 0;\n"
		  "\t__builtin_memset(e, 0, sizeof(*e));\n"
		  "\tcode = BPF_CORE_READ(task, exit_code);\n"
		  "\te->kind = EXIT;\n"
		  "\te->pid = pid;\n"
		  "\te->ppid = BPF_CORE_READ(task, real_parent, tgid);\n"
		  "\te->uid = (u32)bpf_get_current_uid_gid();\n"
		  "\te->exit_code = (code >> 8) & 0xff;\n"
		  "\te->signal = code & 0x7f;\n"
		  "\te->lifetime = bpf_ktime_get_ns() - BPF_CORE_READ(task, start_time);\n"
		  "\t__builtin_memcpy(e->comm, comm, sizeof(comm));\n"
		  "\tbpf_ringbuf_submit(e, 0);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	if (map == SCAFFOLD_RINGBUF && out == SCAFFOLD_COUNTER) {
		d->what = "process execs and exits counted per command name";
		d->output = " * /metrics: ebpf_solo_io_process_events_total{kind=\"EXEC\",comm=\"bash\"} 12\n";
		S("/*\n"
		  " * Each record adds 1 to the series labelled with its fields.  Fields whose\n"
		  " * name starts with __ are never labels: a pid label would create one series\n"
		  " * per process.  Rename __pid to pid only if you really want that.\n"
		  " */\n"
		  "struct event {\n"
		  "\tenum proc_event_kind kind;\n"
		  "\tchar comm[16];\n"
		  "\tu32 __pid;\n"
		  "};\n\n");
		emit_ringbuf(sb, "process_events", "struct event", "counter",
			     "Counter: +1 per record, labels = the record's fields.");
		for (int hook = 0; hook < 2; hook++) {
			if (hook)
				emit_exit_open(sb);
			else
				emit_exec_open(sb, true);
			S("\tstruct event *e;\n");
			emit_comm_prologue(sb);
			if (hook)
				S(exit_leader_check);
			F("\n\te = bpf_ringbuf_reserve(&process_events, sizeof(*e), 0);\n"
			  "\tif (!e)\n"
			  "\t\treturn 0;\n"
			  "\te->kind = %s;\n"
			  "\t__builtin_memcpy(e->comm, comm, sizeof(comm));\n"
			  "\te->__pid = pid;\n"
			  "\tbpf_ringbuf_submit(e, 0);\n"
			  "\treturn 0;\n"
			  "}\n\n", hook ? "EXIT" : "EXEC");
		}
		return;
	}

	if (map == SCAFFOLD_HASH && out == SCAFFOLD_PRINT) {
		d->what = "programs run since the probe was loaded, per command name: how often they "
			  "started and exited, and the last run's details";
		d->output = " * Every --interval, one JSON line per new or changed entry (a command that\n"
			    " * started or exited since the last read; short-lived ones too), e.g.\n"
			    " *   {\"time\":\"...\",\"map\":\"programs\",\"key\":{\"comm\":\"sleep\"},\"value\":{\"execs\":2,\n"
			    " *    \"exits\":1,\"running\":1,\"last_pid\":4242,\"last_ppid\":4200,\"last_uid\":1000,\n"
			    " *    \"last_exit_code\":0,\"last_started\":\"2026-11-22T10:00:00.123456789Z\",\n"
			    " *    \"filename\":\"/usr/bin/sleep\"}}\n";
		S(comm_key_struct);
		S("struct prog_info {\n"
		  "\tu64 execs;\t\t/* times it started */\n"
		  "\tu64 exits;\t\t/* times a process with this name exited */\n"
		  "\ts64 running;\t\t/* started minus exited (only those seen starting) */\n"
		  "\tu32 last_pid;\n"
		  "\tu32 last_ppid;\n"
		  "\tu32 last_uid;\n"
		  "\tint last_exit_code;\t/* exit status of the last one that exited, 0-255 */\n"
		  "\tktime last_started;\t/* printed as wall-clock time */\n"
		  "\tchar filename[64];\t/* what the last one executed */\n"
		  "};\n\n");
		emit_hash(sb, "LRU_HASH", "programs", "struct comm_key", "struct prog_info", ".maps.print",
			  "Printed every --interval: new and changed entries.  Keyed by command\n"
			  " * name, not pid, so a process that lives a millisecond is still seen.\n"
			  " * LRU: when full, the least recently used names make room.");
		emit_exec_open(sb, true);
		S("\tstruct task_struct *task = (struct task_struct *)bpf_get_current_task();\n"
		  "\tunsigned int filename_off = ctx->__data_loc_filename & 0xFFFF;\n"
		  "\tstruct comm_key key = {};\n"
		  "\tstruct prog_info zero = {}, *info;\n");
		emit_comm_prologue(sb);
		S("\n\t__builtin_memcpy(key.comm, comm, sizeof(comm));\n"
		  "\tbpf_map_update_elem(&programs, &key, &zero, BPF_NOEXIST);\n"
		  "\tinfo = bpf_map_lookup_elem(&programs, &key);\n"
		  "\tif (!info)\n"
		  "\t\treturn 0;\n"
		  "\t__sync_fetch_and_add(&info->execs, 1);\n"
		  "\t__sync_fetch_and_add(&info->running, 1);\n"
		  "\tinfo->last_pid = pid;\n"
		  "\tinfo->last_ppid = BPF_CORE_READ(task, real_parent, tgid);\n"
		  "\tinfo->last_uid = (u32)bpf_get_current_uid_gid();\n"
		  "\tinfo->last_started = bpf_ktime_get_ns();\n"
		  "\tbpf_probe_read_kernel_str(info->filename, sizeof(info->filename), (void *)ctx + filename_off);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		emit_exit_open(sb);
		S("\tstruct task_struct *task = (struct task_struct *)bpf_get_current_task();\n"
		  "\tstruct comm_key key = {};\n"
		  "\tstruct prog_info *info;\n"
		  "\tint code;\n");
		emit_comm_prologue(sb);
		S("\n");
		S(exit_leader_check);
		S("\t__builtin_memcpy(key.comm, comm, sizeof(comm));\n"
		  "\tinfo = bpf_map_lookup_elem(&programs, &key);\n"
		  "\tif (!info)\n"
		  "\t\treturn 0;\t/* started before the probe was loaded */\n"
		  "\tcode = BPF_CORE_READ(task, exit_code);\n"
		  "\t__sync_fetch_and_add(&info->exits, 1);\n"
		  "\tif (info->running > 0)\n"
		  "\t\t__sync_fetch_and_add(&info->running, -1);\n"
		  "\tinfo->last_exit_code = (code >> 8) & 0xff;\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	if (map == SCAFFOLD_HASH && out == SCAFFOLD_COUNTER) {
		d->what = "process execs and exits counted per command name, in the kernel";
		d->output = " * /metrics: ebpf_solo_io_process_events_total{kind=\"EXIT\",comm=\"sh\"} 7\n";
		S("/* Labels: the key's fields.  No pid here: one series per process would\n"
		  " * never stop growing. */\n"
		  "struct event_key {\n"
		  "\tenum proc_event_kind kind;\n"
		  "\tchar comm[16];\n"
		  "};\n\n");
		emit_hash(sb, "HASH", "process_events", "struct event_key", "u64", ".maps.counter",
			  "Counter: key fields are labels, the value is the count.");
		emit_count_helper(sb);
		for (int hook = 0; hook < 2; hook++) {
			if (hook)
				emit_exit_open(sb);
			else
				emit_exec_open(sb, false);
			S("\tstruct event_key key = {};\n");
			emit_comm_prologue(sb);
			if (hook)
				S(exit_leader_check);
			F("\n\tkey.kind = %s;\n"
			  "\t__builtin_memcpy(key.comm, comm, sizeof(comm));\n"
			  "\tcount(&process_events, &key, 1);\n"
			  "\treturn 0;\n"
			  "}\n\n", hook ? "EXIT" : "EXEC");
		}
		return;
	}

	if (out == SCAFFOLD_GAUGE) {
		d->what = "processes running per command name (those started since the probe was loaded)";
		d->output = " * /metrics: ebpf_solo_io_live_processes{comm=\"sleep\"} 3\n"
			    " * A name whose processes have all exited stays at 0.\n";
		S(comm_key_struct);
		emit_hash(sb, "HASH", "live_processes", "struct comm_key", "s64", ".maps.gauge",
			  "Gauge: key fields are labels, the value is the current level.");
		emit_hash(sb, "HASH", "tracked", "u32", "struct comm_key", ".maps",
			  "Private (plain .maps, not exported): pid -> the name it was counted under,\n"
			  " * so only processes seen starting are counted down again.");
		emit_gauge_helper(sb);
		emit_exec_open(sb, true);
		S("\tstruct comm_key key = {};\n"
		  "\tstruct comm_key *prev;\n");
		emit_comm_prologue(sb);
		S("\n\t/* exec replaces the program: count the process under its new name */\n"
		  "\tprev = bpf_map_lookup_elem(&tracked, &pid);\n"
		  "\tif (prev)\n"
		  "\t\tgauge_add(&live_processes, prev, -1);\n"
		  "\t__builtin_memcpy(key.comm, comm, sizeof(comm));\n"
		  "\tif (bpf_map_update_elem(&tracked, &pid, &key, BPF_ANY) == 0)\n"
		  "\t\tgauge_add(&live_processes, &key, 1);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		emit_exit_open(sb);
		S("\tstruct comm_key *prev;\n\n");
		S(exit_leader_check);
		S("\tprev = bpf_map_lookup_elem(&tracked, &pid);\n"
		  "\tif (!prev)\n"
		  "\t\treturn 0;\t/* started before the probe, or filtered out */\n"
		  "\tgauge_add(&live_processes, prev, -1);\n"
		  "\tbpf_map_delete_elem(&tracked, &pid);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	/* hist: process lifetime, known at exit from task->start_time */
	if (map == SCAFFOLD_RINGBUF) {
		d->what = "how long processes live, as a histogram per command name";
		d->output = " * /metrics: ebpf_solo_io_process_lifetime_seconds_bucket{comm=\"sh\",le=\"...\"},\n"
			    " * _sum and _count (a duration value is observed in seconds).\n";
		emit_hist_ringbuf(sb, "\tchar comm[16];\n", "process_lifetime_seconds");
		emit_exit_open(sb);
		S("\tstruct task_struct *task = (struct task_struct *)bpf_get_current_task();\n"
		  "\tstruct event *e;\n");
		emit_comm_prologue(sb);
		S(exit_leader_check);
		S("\n\te = bpf_ringbuf_reserve(&process_lifetime_seconds, sizeof(*e), 0);\n"
		  "\tif (!e)\n"
		  "\t\treturn 0;\n"
		  "\t__builtin_memcpy(e->comm, comm, sizeof(comm));\n"
		  "\te->value = bpf_ktime_get_ns() - BPF_CORE_READ(task, start_time);\n"
		  "\tbpf_ringbuf_submit(e, 0);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}
	d->what = "how long processes live, as a log2 histogram per command name";
	d->output = " * /metrics: ebpf_solo_io_process_lifetime_seconds_bucket{comm=\"sh\",le=\"0.001048575\"} ...\n"
		    " * in seconds (le = (2^(i+1)-1) ns), plus _sum and _count.\n";
	S(comm_key_struct);
	emit_hist_helpers(sb);
	emit_hash(sb, "HASH", "process_lifetime_seconds", "struct comm_key", "struct hist", ".maps.hist",
		  "Histogram: key fields are labels, the value holds the log2 slots.");
	emit_exit_open(sb);
	S("\tstruct task_struct *task = (struct task_struct *)bpf_get_current_task();\n"
	  "\tstruct comm_key key = {};\n"
	  "\tu64 lifetime_ns;\n");
	emit_comm_prologue(sb);
	S(exit_leader_check);
	S("\n\tlifetime_ns = bpf_ktime_get_ns() - BPF_CORE_READ(task, start_time);\n"
	  "\t__builtin_memcpy(key.comm, comm, sizeof(comm));\n"
	  "\thist_observe(&process_lifetime_seconds, &key, lifetime_ns);\t/* ns */\n"
	  "\treturn 0;\n"
	  "}\n\n");
}

/* ---- file: openat ----------------------------------------------------------- */

static void emit_openat_enter_open(struct strbuf *sb)
{
	S("/* openat(dfd, filename, flags, mode): args[1] is the user-space file name. */\n"
	  "SEC(\"tp/syscalls/sys_enter_openat\")\n"
	  "int handle_openat(struct trace_event_raw_sys_enter *ctx)\n"
	  "{\n");
}

static void gen_file(struct strbuf *sb, int map, int out, struct desc *d)
{
	emit_comm_filter(sb);

	if (map == SCAFFOLD_RINGBUF && out == SCAFFOLD_PRINT) {
		d->what = "every file open (openat), one JSON line each";
		d->output = " * One JSON line per open on stdout, e.g.\n"
			    " *   {\"time\":\"...\",\"map\":\"events\",\"event\":{\"pid\":4242,\"uid\":1000,\n"
			    " *    \"flags\":524288,\"comm\":\"cat\",\"filename\":\"/etc/hostname\"}}\n"
			    " * (examples/opensnoop also reports the result: fd or errno.)\n";
		S("struct event {\n"
		  "\tu32 pid;\n"
		  "\tu32 uid;\n"
		  "\tint flags;\t\t/* O_RDONLY, O_CREAT, ... as a number */\n"
		  "\tchar comm[16];\n"
		  "\tchar filename[256];\n"
		  "};\n\n");
		emit_ringbuf(sb, "events", "struct event", "print",
			     "Every record becomes one JSON line on stdout.");
		emit_openat_enter_open(sb);
		S("\tstruct event *e;\n");
		emit_comm_prologue(sb);
		S("\n\te = bpf_ringbuf_reserve(&events, sizeof(*e), 0);\n"
		  "\tif (!e)\n"
		  "\t\treturn 0;\t/* ring buffer full: the event is dropped */\n"
		  "\te->pid = bpf_get_current_pid_tgid() >> 32;\n"
		  "\te->uid = (u32)bpf_get_current_uid_gid();\n"
		  "\te->flags = (int)ctx->args[2];\n"
		  "\t__builtin_memcpy(e->comm, comm, sizeof(comm));\n"
		  "\tif (bpf_probe_read_user_str(e->filename, sizeof(e->filename),\n"
		  "\t\t\t\t    (const char *)ctx->args[1]) < 0)\n"
		  "\t\te->filename[0] = '\\0';\n"
		  "\tbpf_ringbuf_submit(e, 0);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	if (map == SCAFFOLD_RINGBUF && out == SCAFFOLD_COUNTER) {
		d->what = "file opens counted per command name";
		d->output = " * /metrics: ebpf_solo_io_file_opens_total{comm=\"cat\"} 3\n";
		S("/*\n"
		  " * Each record adds 1 to the series labelled with its fields.  Fields whose\n"
		  " * name starts with __ are never labels: a pid label would create one series\n"
		  " * per process.  Rename __pid to pid only if you really want that.\n"
		  " */\n"
		  "struct event {\n"
		  "\tchar comm[16];\n"
		  "\tu32 __pid;\n"
		  "};\n\n");
		emit_ringbuf(sb, "file_opens", "struct event", "counter",
			     "Counter: +1 per record, labels = the record's fields.");
		emit_openat_enter_open(sb);
		S("\tstruct event *e;\n");
		emit_comm_prologue(sb);
		S("\n\te = bpf_ringbuf_reserve(&file_opens, sizeof(*e), 0);\n"
		  "\tif (!e)\n"
		  "\t\treturn 0;\n"
		  "\t__builtin_memcpy(e->comm, comm, sizeof(comm));\n"
		  "\te->__pid = bpf_get_current_pid_tgid() >> 32;\n"
		  "\tbpf_ringbuf_submit(e, 0);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	if (map == SCAFFOLD_HASH && out == SCAFFOLD_PRINT) {
		d->what = "file opens per command name, with the last file each one opened";
		d->output = " * Every --interval, one JSON line per new or changed entry, e.g.\n"
			    " *   {\"time\":\"...\",\"map\":\"opens_by_comm\",\"key\":{\"comm\":\"cat\"},\n"
			    " *    \"value\":{\"opens\":3,\"last_file\":\"/etc/hostname\"}}\n";
		S(comm_key_struct);
		S("struct opens_info {\n"
		  "\tu64 opens;\n"
		  "\tchar last_file[64];\n"
		  "};\n\n");
		emit_hash(sb, "HASH", "opens_by_comm", "struct comm_key", "struct opens_info", ".maps.print",
			  "Printed every --interval: new, changed and removed entries.");
		emit_openat_enter_open(sb);
		S("\tstruct comm_key key = {};\n"
		  "\tstruct opens_info *info;\n");
		emit_comm_prologue(sb);
		S("\n\t__builtin_memcpy(key.comm, comm, sizeof(comm));\n"
		  "\tinfo = bpf_map_lookup_elem(&opens_by_comm, &key);\n"
		  "\tif (!info) {\n"
		  "\t\tstruct opens_info zero = {};\n\n"
		  "\t\tbpf_map_update_elem(&opens_by_comm, &key, &zero, BPF_NOEXIST);\n"
		  "\t\tinfo = bpf_map_lookup_elem(&opens_by_comm, &key);\n"
		  "\t\tif (!info)\n"
		  "\t\t\treturn 0;\n"
		  "\t}\n"
		  "\t__sync_fetch_and_add(&info->opens, 1);\n"
		  "\tbpf_probe_read_user_str(info->last_file, sizeof(info->last_file),\n"
		  "\t\t\t\t(const char *)ctx->args[1]);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	if (map == SCAFFOLD_HASH && out == SCAFFOLD_COUNTER) {
		d->what = "file opens counted per command name, in the kernel";
		d->output = " * /metrics: ebpf_solo_io_file_opens_total{comm=\"cat\"} 3\n";
		S(comm_key_struct);
		emit_hash(sb, "HASH", "file_opens", "struct comm_key", "u64", ".maps.counter",
			  "Counter: key fields are labels, the value is the count.");
		emit_count_helper(sb);
		emit_openat_enter_open(sb);
		S("\tstruct comm_key key = {};\n");
		emit_comm_prologue(sb);
		S("\n\t__builtin_memcpy(key.comm, comm, sizeof(comm));\n"
		  "\tcount(&file_opens, &key, 1);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	/* hist: openat latency, entry to exit of the same thread */
	if (map == SCAFFOLD_RINGBUF) {
		d->what = "openat latency as a histogram per command name";
		d->output = " * /metrics: ebpf_solo_io_openat_latency_seconds_bucket{comm=\"cat\",le=\"...\"},\n"
			    " * _sum and _count (a duration value is observed in seconds).\n";
		emit_hist_ringbuf(sb, "\tchar comm[16];\n", "openat_latency_seconds");
	} else {
		d->what = "openat latency as a log2 histogram per command name";
		d->output = " * /metrics: ebpf_solo_io_openat_latency_seconds_bucket{comm=\"cat\",le=\"4.095e-06\"} ...\n"
			    " * in seconds (le = (2^(i+1)-1) ns), plus _sum and _count.\n";
		S(comm_key_struct);
		emit_hist_helpers(sb);
		emit_hash(sb, "HASH", "openat_latency_seconds", "struct comm_key", "struct hist", ".maps.hist",
			  "Histogram: key fields are labels, the value holds the log2 slots.");
	}
	emit_hash(sb, "HASH", "start", "u32", "u64", ".maps",
		  "Private (plain .maps, not exported): thread id -> entry time.");
	emit_openat_enter_open(sb);
	S("\tu32 tid = (u32)bpf_get_current_pid_tgid();\n"
	  "\tu64 now = bpf_ktime_get_ns();\n");
	emit_comm_prologue(sb);
	S("\n\tbpf_map_update_elem(&start, &tid, &now, BPF_ANY);\n"
	  "\treturn 0;\n"
	  "}\n\n"
	  "SEC(\"tp/syscalls/sys_exit_openat\")\n"
	  "int handle_openat_exit(struct trace_event_raw_sys_exit *ctx)\n"
	  "{\n"
	  "\tu32 tid = (u32)bpf_get_current_pid_tgid();\n"
	  "\tu64 *began = bpf_map_lookup_elem(&start, &tid);\n"
	  "\tu64 took;\n");
	if (map == SCAFFOLD_RINGBUF)
		S("\tstruct event *e;\n");
	else
		S("\tstruct comm_key key = {};\n");
	S("\n\tif (!began)\n"
	  "\t\treturn 0;\t/* entered before the probe was loaded, or filtered out */\n"
	  "\ttook = bpf_ktime_get_ns() - *began;\n"
	  "\tbpf_map_delete_elem(&start, &tid);\n");
	if (map == SCAFFOLD_RINGBUF)
		S("\te = bpf_ringbuf_reserve(&openat_latency_seconds, sizeof(*e), 0);\n"
		  "\tif (!e)\n"
		  "\t\treturn 0;\n"
		  "\tbpf_get_current_comm(e->comm, sizeof(e->comm));\n"
		  "\te->value = took;\n"
		  "\tbpf_ringbuf_submit(e, 0);\n"
		  "\treturn 0;\n"
		  "}\n\n");
	else
		S("\tbpf_get_current_comm(key.comm, sizeof(key.comm));\n"
		  "\thist_observe(&openat_latency_seconds, &key, took);\t/* ns */\n"
		  "\treturn 0;\n"
		  "}\n\n");
}

/* ---- syscall: raw_syscalls sys_enter / sys_exit ---------------------------- */

static void gen_syscall(struct strbuf *sb, int map, int out, struct desc *d)
{
	emit_comm_filter(sb);
	S("/* Labels: one series per system call number (see ausyscall --dump or\n"
	  " * /usr/include/asm/unistd_64.h for the names). */\n"
	  "struct syscall_key {\n"
	  "\tint syscall_nr;\n"
	  "};\n\n");

	if (out == SCAFFOLD_PRINT || out == SCAFFOLD_COUNTER) {
		if (out == SCAFFOLD_PRINT) {
			d->what = "system calls counted per syscall number, printed as they change";
			d->output = " * Every --interval, one JSON line per new or changed entry, e.g.\n"
				    " *   {\"time\":\"...\",\"map\":\"syscalls\",\"key\":{\"syscall_nr\":0},\"value\":1234}\n"
				    " * (a per-CPU map: the line shows the sum over CPUs).\n";
			emit_hash(sb, "PERCPU_HASH", "syscalls", "struct syscall_key", "u64", ".maps.print",
				  "Printed every --interval: new and changed entries.  Per-CPU:\n"
				  " * no contention between CPUs, ebpfctl sums the CPUs' values.");
		} else {
			d->what = "system calls counted per syscall number";
			d->output = " * /metrics: ebpf_solo_io_syscalls_total{syscall_nr=\"0\"} 1234\n";
			emit_hash(sb, "PERCPU_HASH", "syscalls", "struct syscall_key", "u64", ".maps.counter",
				  "Counter: key fields are labels, the value is the count.  Per-CPU:\n"
				  " * no contention between CPUs, ebpfctl sums the CPUs' values.");
		}
		emit_count_helper(sb);
		S("/* raw tracepoint: cheaper than tp/raw_syscalls/sys_enter, no tracefs needed */\n"
		  "SEC(\"raw_tp/sys_enter\")\n"
		  "int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)\n"
		  "{\n"
		  "\tstruct syscall_key key = { .syscall_nr = (int)id };\n");
		emit_comm_prologue(sb);
		S("\n\tcount(&syscalls, &key, 1);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	if (out == SCAFFOLD_GAUGE) {
		d->what = "threads currently inside each system call (blocked in read, poll, futex, ...)";
		d->output = " * /metrics: ebpf_solo_io_syscalls_in_flight{syscall_nr=\"7\"} 12\n"
			    " * Counts calls entered since the probe was loaded.\n";
		emit_hash(sb, "HASH", "syscalls_in_flight", "struct syscall_key", "s64", ".maps.gauge",
			  "Gauge: key fields are labels, the value is the current level.");
		emit_hash(sb, "HASH", "inside", "u32", "struct syscall_key", ".maps",
			  "Private (plain .maps, not exported): thread id -> the call it is in, so\n"
			  " * only calls seen entering are counted down again.");
		emit_gauge_helper(sb);
		S("SEC(\"raw_tp/sys_enter\")\n"
		  "int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)\n"
		  "{\n"
		  "\tstruct syscall_key key = { .syscall_nr = (int)id };\n"
		  "\tu32 tid = (u32)bpf_get_current_pid_tgid();\n");
		emit_comm_prologue(sb);
		S("\n\tif (bpf_map_update_elem(&inside, &tid, &key, BPF_NOEXIST) == 0)\n"
		  "\t\tgauge_add(&syscalls_in_flight, &key, 1);\n"
		  "\treturn 0;\n"
		  "}\n\n"
		  "static __always_inline void leave(void)\n"
		  "{\n"
		  "\tu32 tid = (u32)bpf_get_current_pid_tgid();\n"
		  "\tstruct syscall_key *key = bpf_map_lookup_elem(&inside, &tid);\n\n"
		  "\tif (!key)\n"
		  "\t\treturn;\n"
		  "\tgauge_add(&syscalls_in_flight, key, -1);\n"
		  "\tbpf_map_delete_elem(&inside, &tid);\n"
		  "}\n\n"
		  "SEC(\"raw_tp/sys_exit\")\n"
		  "int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)\n"
		  "{\n"
		  "\tleave();\n"
		  "\treturn 0;\n"
		  "}\n\n"
		  "/* exit() and exit_group() never return: count the thread out when it dies */\n"
		  "SEC(\"tp/sched/sched_process_exit\")\n"
		  "int handle_thread_exit(void *ctx)\n"
		  "{\n"
		  "\tleave();\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	d->what = "system call latency as a log2 histogram per syscall number";
	d->output = " * /metrics: ebpf_solo_io_syscall_latency_seconds_bucket{syscall_nr=\"0\",le=\"4.095e-06\"} ...\n"
		    " * in seconds (le = (2^(i+1)-1) ns), plus _sum and _count.\n";
	S("struct call {\n"
	  "\tint syscall_nr;\n"
	  "\tu64 start_ns;\n"
	  "};\n\n");
	emit_hist_helpers(sb);
	emit_hash(sb, "HASH", "syscall_latency_seconds", "struct syscall_key", "struct hist", ".maps.hist",
		  "Histogram: key fields are labels, the value holds the log2 slots.");
	emit_hash(sb, "HASH", "inside", "u32", "struct call", ".maps",
		  "Private (plain .maps, not exported): thread id -> the call it is in.");
	S("SEC(\"raw_tp/sys_enter\")\n"
	  "int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)\n"
	  "{\n"
	  "\tstruct call call = { .syscall_nr = (int)id, .start_ns = bpf_ktime_get_ns() };\n"
	  "\tu32 tid = (u32)bpf_get_current_pid_tgid();\n");
	emit_comm_prologue(sb);
	S("\n\tbpf_map_update_elem(&inside, &tid, &call, BPF_ANY);\n"
	  "\treturn 0;\n"
	  "}\n\n"
	  "SEC(\"raw_tp/sys_exit\")\n"
	  "int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)\n"
	  "{\n"
	  "\tu32 tid = (u32)bpf_get_current_pid_tgid();\n"
	  "\tstruct call *call = bpf_map_lookup_elem(&inside, &tid);\n"
	  "\tstruct syscall_key key;\n\n"
	  "\tif (!call)\n"
	  "\t\treturn 0;\n"
	  "\tkey.syscall_nr = call->syscall_nr;\n"
	  "\thist_observe(&syscall_latency_seconds, &key, bpf_ktime_get_ns() - call->start_ns);\t/* ns */\n"
	  "\tbpf_map_delete_elem(&inside, &tid);\n"
	  "\treturn 0;\n"
	  "}\n\n"
	  "/* exit() and exit_group() never return: forget the thread when it dies */\n"
	  "SEC(\"tp/sched/sched_process_exit\")\n"
	  "int handle_thread_exit(void *ctx)\n"
	  "{\n"
	  "\tu32 tid = (u32)bpf_get_current_pid_tgid();\n\n"
	  "\tbpf_map_delete_elem(&inside, &tid);\n"
	  "\treturn 0;\n"
	  "}\n\n");
}

/* ---- network: sock/inet_sock_set_state ------------------------------------- */

static void emit_net_open(struct strbuf *sb)
{
	S("/* Every TCP state change of every socket, IPv4 and IPv6 (the tracepoint also\n"
	  " * fires for other protocols, e.g. SCTP and MPTCP). */\n"
	  "SEC(\"tp/sock/inet_sock_set_state\")\n"
	  "int handle_set_state(struct trace_event_raw_inet_sock_set_state *ctx)\n"
	  "{\n");
}

static const char net_filter[] =
	"\tif (ctx->protocol != IPPROTO_TCP)\n"
	"\t\treturn 0;\n"
	"\tif (target_port && ctx->sport != target_port && ctx->dport != target_port)\n"
	"\t\treturn 0;\n";

/* Copy the addresses of the tracepoint into dst (a struct with the
 * saddr_v4/daddr_v4/saddr_v6/daddr_v6 members).  The verifier does not let
 * a program copy from a moved tracepoint context pointer, hence the helper. */
static void emit_net_addrs(struct strbuf *sb, const char *dst)
{
	F("\tif (ctx->family == AF_INET) {\n"
	  "\t\tbpf_probe_read_kernel(&%1$ssaddr_v4, 4, ctx->saddr);\n"
	  "\t\tbpf_probe_read_kernel(&%1$sdaddr_v4, 4, ctx->daddr);\n"
	  "\t} else {\n"
	  "\t\tbpf_probe_read_kernel(&%1$ssaddr_v6, 16, ctx->saddr_v6);\n"
	  "\t\tbpf_probe_read_kernel(&%1$sdaddr_v6, 16, ctx->daddr_v6);\n"
	  "\t}\n", dst);
}

static void gen_network(struct strbuf *sb, int map, int out, struct desc *d)
{
	S("/* Address families and TCP states as enums, so ebpfctl prints their names\n"
	  " * (\"AF_INET6\", \"ESTABLISHED\") instead of numbers. */\n"
	  "enum addr_family { AF_INET = 2, AF_INET6 = 10 };\n"
	  "enum tcp_state {\n"
	  "\tESTABLISHED = 1, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE,\n"
	  "\tCLOSE_WAIT, LAST_ACK, LISTEN, CLOSING, NEW_SYN_RECV, BOUND_INACTIVE,\n"
	  "};\n\n"
	  "/*\n"
	  " * Kernel-side filter, set when the probe is loaded (no rebuild needed):\n"
	  " *   sudo ebpfctl run --set target_port=443 " OBJ_MARK "\n"
	  " * Only sockets with this local or remote port; 0 (the default) means all.\n"
	  " */\n"
	  "const volatile u16 target_port = 0;\n\n");

	if (map == SCAFFOLD_RINGBUF && out == SCAFFOLD_PRINT) {
		d->what = "TCP state changes (connects, accepts, closes), IPv4 and IPv6, one JSON line each";
		d->output = " * One JSON line per state change on stdout, e.g.\n"
			    " *   {\"time\":\"...\",\"map\":\"events\",\"event\":{\"family\":\"AF_INET6\",\n"
			    " *    \"oldstate\":\"SYN_SENT\",\"newstate\":\"ESTABLISHED\",\"sport\":48562,\"dport\":443,\n"
			    " *    \"saddr_v4\":\"0.0.0.0\",\"daddr_v4\":\"0.0.0.0\",\"saddr_v6\":\"2001:db8::2\",\n"
			    " *    \"daddr_v6\":\"2001:db8::1\",\"pid\":4242,\"comm\":\"curl\"}}\n";
		S("struct event {\n"
		  "\tenum addr_family family;\n"
		  "\tenum tcp_state oldstate;\n"
		  "\tenum tcp_state newstate;\n"
		  "\tu16 sport;\n"
		  "\tu16 dport;\n"
		  "\tipv4_addr saddr_v4;\t/* AF_INET: \"10.0.0.1\"; 0.0.0.0 otherwise */\n"
		  "\tipv4_addr daddr_v4;\n"
		  "\tipv6_addr saddr_v6;\t/* AF_INET6: \"2001:db8::1\"; :: otherwise */\n"
		  "\tipv6_addr daddr_v6;\n"
		  "\tu32 pid;\t\t/* the task running at the change: for changes driven by\n"
		  "\t\t\t\t * incoming packets often not the socket's owner */\n"
		  "\tchar comm[16];\n"
		  "};\n\n");
		emit_ringbuf(sb, "events", "struct event", "print",
			     "Every record becomes one JSON line on stdout.");
		emit_net_open(sb);
		S("\tstruct event *e;\n\n");
		S(net_filter);
		S("\n\te = bpf_ringbuf_reserve(&events, sizeof(*e), 0);\n"
		  "\tif (!e)\n"
		  "\t\treturn 0;\t/* ring buffer full: the event is dropped */\n"
		  "\t__builtin_memset(e, 0, sizeof(*e));\n"
		  "\te->family = ctx->family;\n"
		  "\te->oldstate = ctx->oldstate;\n"
		  "\te->newstate = ctx->newstate;\n"
		  "\te->sport = ctx->sport;\n"
		  "\te->dport = ctx->dport;\n");
		emit_net_addrs(sb, "e->");
		S("\te->pid = bpf_get_current_pid_tgid() >> 32;\n"
		  "\tbpf_get_current_comm(e->comm, sizeof(e->comm));\n"
		  "\tbpf_ringbuf_submit(e, 0);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	if (map == SCAFFOLD_RINGBUF && out == SCAFFOLD_COUNTER) {
		d->what = "TCP state changes counted per family and transition";
		d->output = " * /metrics: ebpf_solo_io_tcp_state_changes_total{family=\"AF_INET\",\n"
			    " *   oldstate=\"SYN_SENT\",newstate=\"ESTABLISHED\"} 5\n";
		S("/*\n"
		  " * Each record adds 1 to the series labelled with its fields.  Fields whose\n"
		  " * name starts with __ are never labels: ephemeral ports would create a new\n"
		  " * series for nearly every connection.\n"
		  " */\n"
		  "struct event {\n"
		  "\tenum addr_family family;\n"
		  "\tenum tcp_state oldstate;\n"
		  "\tenum tcp_state newstate;\n"
		  "\tu16 __sport;\n"
		  "\tu16 __dport;\n"
		  "};\n\n");
		emit_ringbuf(sb, "tcp_state_changes", "struct event", "counter",
			     "Counter: +1 per record, labels = the record's fields.");
		emit_net_open(sb);
		S("\tstruct event *e;\n\n");
		S(net_filter);
		S("\n\te = bpf_ringbuf_reserve(&tcp_state_changes, sizeof(*e), 0);\n"
		  "\tif (!e)\n"
		  "\t\treturn 0;\n"
		  "\te->family = ctx->family;\n"
		  "\te->oldstate = ctx->oldstate;\n"
		  "\te->newstate = ctx->newstate;\n"
		  "\te->__sport = ctx->sport;\n"
		  "\te->__dport = ctx->dport;\n"
		  "\tbpf_ringbuf_submit(e, 0);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	if (map == SCAFFOLD_HASH && out == SCAFFOLD_PRINT) {
		d->what = "open TCP connections (seen since the probe was loaded) and their state";
		d->output = " * Every --interval, one JSON line per new or changed connection and one\n"
			    " * per closed one, e.g.\n"
			    " *   {\"time\":\"...\",\"map\":\"connections\",\"key\":{\"family\":\"AF_INET\",\"sport\":48562,\n"
			    " *    \"dport\":443,\"saddr_v4\":\"10.0.0.2\",\"daddr_v4\":\"10.0.0.1\",\"saddr_v6\":\"::\",\n"
			    " *    \"daddr_v6\":\"::\"},\"value\":{\"state\":\"ESTABLISHED\",\n"
			    " *    \"since\":\"2026-11-22T10:00:00.123456789Z\"}}\n"
			    " *   {\"time\":\"...\",\"map\":\"connections\",\"key\":{...},\"removed\":true}\n";
		S("struct conn_key {\n"
		  "\tenum addr_family family;\n"
		  "\tu16 sport;\n"
		  "\tu16 dport;\n"
		  "\tipv4_addr saddr_v4;\n"
		  "\tipv4_addr daddr_v4;\n"
		  "\tipv6_addr saddr_v6;\n"
		  "\tipv6_addr daddr_v6;\n"
		  "};\n\n"
		  "struct conn_info {\n"
		  "\tenum tcp_state state;\n"
		  "\tu32 __pad;\t\t/* __ fields are not printed */\n"
		  "\tktime since;\t\t/* when it entered this state, as wall-clock time */\n"
		  "};\n\n");
		emit_hash(sb, "LRU_HASH", "connections", "struct conn_key", "struct conn_info", ".maps.print",
			  "Printed every --interval: new, changed and removed entries.\n"
			  " * LRU: when full, the oldest entries make room.");
		emit_net_open(sb);
		S("\tstruct conn_key key;\n"
		  "\tstruct conn_info info = {};\n\n");
		S(net_filter);
		S("\n\t__builtin_memset(&key, 0, sizeof(key));\n"
		  "\tkey.family = ctx->family;\n"
		  "\tkey.sport = ctx->sport;\n"
		  "\tkey.dport = ctx->dport;\n");
		emit_net_addrs(sb, "key.");
		S("\tif (ctx->oldstate == SYN_SENT && key.sport) {\n"
		  "\t\t/* a connect() enters SYN_SENT before its source port is chosen:\n"
		  "\t\t * that entry was keyed with sport 0 */\n"
		  "\t\tu16 sport = key.sport;\n\n"
		  "\t\tkey.sport = 0;\n"
		  "\t\tbpf_map_delete_elem(&connections, &key);\n"
		  "\t\tkey.sport = sport;\n"
		  "\t}\n"
		  "\tif (ctx->newstate == CLOSE) {\n"
		  "\t\tbpf_map_delete_elem(&connections, &key);\t/* printed as removed */\n"
		  "\t\treturn 0;\n"
		  "\t}\n"
		  "\tinfo.state = ctx->newstate;\n"
		  "\tinfo.since = bpf_ktime_get_ns();\n"
		  "\tbpf_map_update_elem(&connections, &key, &info, BPF_ANY);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	if (map == SCAFFOLD_HASH && out == SCAFFOLD_COUNTER) {
		d->what = "TCP state changes counted per family and transition, in the kernel";
		d->output = " * /metrics: ebpf_solo_io_tcp_state_changes_total{family=\"AF_INET\",\n"
			    " *   oldstate=\"SYN_SENT\",newstate=\"ESTABLISHED\"} 5\n";
		S("/* Labels: the key's fields.  No ports or addresses: one series per\n"
		  " * connection would never stop growing. */\n"
		  "struct transition_key {\n"
		  "\tenum addr_family family;\n"
		  "\tenum tcp_state oldstate;\n"
		  "\tenum tcp_state newstate;\n"
		  "};\n\n");
		emit_hash(sb, "HASH", "tcp_state_changes", "struct transition_key", "u64", ".maps.counter",
			  "Counter: key fields are labels, the value is the count.");
		emit_count_helper(sb);
		emit_net_open(sb);
		S("\tstruct transition_key key;\n\n");
		S(net_filter);
		S("\n\tkey.family = ctx->family;\n"
		  "\tkey.oldstate = ctx->oldstate;\n"
		  "\tkey.newstate = ctx->newstate;\n"
		  "\tcount(&tcp_state_changes, &key, 1);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	if (out == SCAFFOLD_GAUGE) {
		d->what = "TCP sockets per family and state right now (those seen changing state since load)";
		d->output = " * /metrics: ebpf_solo_io_tcp_sockets{family=\"AF_INET\",state=\"ESTABLISHED\"} 12\n"
			    " * Sockets that do not change state while the probe runs are not seen.\n";
		S("struct state_key {\n"
		  "\tenum addr_family family;\n"
		  "\tenum tcp_state state;\n"
		  "};\n\n");
		emit_hash(sb, "HASH", "tcp_sockets", "struct state_key", "s64", ".maps.gauge",
			  "Gauge: key fields are labels, the value is the current level.");
		emit_hash(sb, "HASH", "sock_state", "u64", "struct state_key", ".maps",
			  "Private (plain .maps, not exported): socket address -> where it is counted.");
		emit_gauge_helper(sb);
		emit_net_open(sb);
		S("\tu64 sk = (u64)ctx->skaddr;\n"
		  "\tstruct state_key *prev, key;\n\n");
		S(net_filter);
		S("\n\tprev = bpf_map_lookup_elem(&sock_state, &sk);\n"
		  "\tif (prev)\n"
		  "\t\tgauge_add(&tcp_sockets, prev, -1);\n"
		  "\tif (ctx->newstate == CLOSE) {\n"
		  "\t\tbpf_map_delete_elem(&sock_state, &sk);\n"
		  "\t\treturn 0;\n"
		  "\t}\n"
		  "\tkey.family = ctx->family;\n"
		  "\tkey.state = ctx->newstate;\n"
		  "\tif (bpf_map_update_elem(&sock_state, &sk, &key, BPF_ANY) == 0)\n"
		  "\t\tgauge_add(&tcp_sockets, &key, 1);\n"
		  "\treturn 0;\n"
		  "}\n\n");
		return;
	}

	/* hist: connection lifetime, from the first state change seen to CLOSE */
	if (map == SCAFFOLD_RINGBUF) {
		d->what = "TCP connection lifetimes as a histogram per address family";
		d->output = " * /metrics: ebpf_solo_io_tcp_lifetime_seconds_bucket{family=\"AF_INET\",le=\"...\"},\n"
			    " * _sum and _count (a duration value is observed in seconds).\n";
		emit_hist_ringbuf(sb, "\tenum addr_family family;\n\tu32 __pad;\n", "tcp_lifetime_seconds");
	} else {
		d->what = "TCP connection lifetimes as a log2 histogram per family";
		d->output = " * /metrics: ebpf_solo_io_tcp_lifetime_seconds_bucket{family=\"AF_INET\",le=\"0.001048575\"} ...\n"
			    " * in seconds (le = (2^(i+1)-1) ns), plus _sum and _count.\n";
		S("struct family_key {\n"
		  "\tenum addr_family family;\n"
		  "};\n\n");
		emit_hist_helpers(sb);
		emit_hash(sb, "HASH", "tcp_lifetime_seconds", "struct family_key", "struct hist", ".maps.hist",
			  "Histogram: key fields are labels, the value holds the log2 slots.");
	}
	emit_hash(sb, "HASH", "born", "u64", "u64", ".maps",
		  "Private (plain .maps, not exported): socket address -> first state change seen.");
	emit_net_open(sb);
	S("\tu64 sk = (u64)ctx->skaddr;\n"
	  "\tu64 now = bpf_ktime_get_ns();\n"
	  "\tu64 *birth;\n");
	if (map == SCAFFOLD_RINGBUF)
		S("\tstruct event *e;\n\n");
	else
		S("\tstruct family_key key = {};\n\n");
	S(net_filter);
	S("\n\tif (ctx->newstate != CLOSE) {\n"
	  "\t\tif (ctx->newstate != LISTEN)\t/* connections, not listeners */\n"
	  "\t\t\tbpf_map_update_elem(&born, &sk, &now, BPF_NOEXIST);\n"
	  "\t\treturn 0;\n"
	  "\t}\n"
	  "\tbirth = bpf_map_lookup_elem(&born, &sk);\n"
	  "\tif (!birth)\n"
	  "\t\treturn 0;\t/* opened before the probe was loaded */\n"
	  "\tnow -= *birth;\n"
	  "\tbpf_map_delete_elem(&born, &sk);\n");
	if (map == SCAFFOLD_RINGBUF)
		S("\te = bpf_ringbuf_reserve(&tcp_lifetime_seconds, sizeof(*e), 0);\n"
		  "\tif (!e)\n"
		  "\t\treturn 0;\n"
		  "\te->family = ctx->family;\n"
		  "\te->__pad = 0;\n"
		  "\te->value = now;\n"
		  "\tbpf_ringbuf_submit(e, 0);\n"
		  "\treturn 0;\n"
		  "}\n\n");
	else
		S("\tkey.family = ctx->family;\n"
		  "\thist_observe(&tcp_lifetime_seconds, &key, now);\t/* ns */\n"
		  "\treturn 0;\n"
		  "}\n\n");
}

/* ---- assembly ---------------------------------------------------------------- */

int scaffold_generate(int prog, int map, int out, const char *file_name, struct strbuf *sb,
		      struct rerr *err)
{
	struct strbuf body = {};
	struct desc d = {};
	const char *why;
	char obj[256];
	size_t n;

	if (!scaffold_supported(prog, map, out, &why))
		return rerr_usage(err, -EINVAL, "init: %s %s %s: %s", scaffold_progs[prog].name,
				  scaffold_maps[map].name, scaffold_outputs[out].name, why);
	switch (prog) {
	case SCAFFOLD_NETWORK:
		gen_network(&body, map, out, &d);
		break;
	case SCAFFOLD_FILE:
		gen_file(&body, map, out, &d);
		break;
	case SCAFFOLD_PROCESS:
		gen_process(&body, map, out, &d);
		break;
	default:
		gen_syscall(&body, map, out, &d);
		break;
	}
	n = strlen(file_name);
	if (n > 2 && !strcmp(file_name + n - 2, ".c"))
		n -= 2;
	snprintf(obj, sizeof(obj), "%.*s.o", (int)(n < 200 ? n : 200), file_name);

	F("// SPDX-License-Identifier: GPL-2.0\n"
	  "/*\n"
	  " * %s: %s.\n"
	  " * Generated by: ebpfctl init --program-type %s --map-type %s --output-type %s\n"
	  " *\n"
	  " *   ebpfctl build %s          # compile: writes %s\n"
	  " *   sudo ebpfctl run %s       # load, attach, export\n"
	  " *\n"
	  "%s"
	  " *\n"
	  " * How ebpfctl exports a map is chosen by its section: SEC(\".maps.print\")\n"
	  " * prints JSON lines; .maps.counter, .maps.gauge and .maps.hist become\n"
	  " * Prometheus metrics on http://localhost:9091/metrics; a plain SEC(\".maps\")\n"
	  " * map is private to the probe.  Members whose name starts with __ are never\n"
	  " * printed or used as labels.  Types from solo_types.h (ipv4_addr, ipv6_addr,\n"
	  " * duration, ktime, errno_code, signal_num) are rendered as text.\n"
	  " */\n"
	  "#include \"vmlinux.h\"\t\t/* kernel types: ebpfctl build generates it from BTF */\n"
	  "#include <bpf/bpf_helpers.h>\n"
	  "#include <bpf/bpf_core_read.h>\n"
	  "#include <bpf/bpf_tracing.h>\n"
	  "#include \"solo_types.h\"\t\t/* types ebpfctl renders specially */\n\n",
	  file_name, d.what, scaffold_progs[prog].name, scaffold_maps[map].name,
	  scaffold_outputs[out].name, file_name, obj, obj, d.output);
	for (const char *p = sb_cstr(&body), *m; *p; p = m + strlen(OBJ_MARK)) {
		m = strstr(p, OBJ_MARK);
		if (!m) {
			sb_puts(sb, p);
			break;
		}
		sb_add(sb, p, m - p);
		sb_puts(sb, obj);
	}
	S("char LICENSE[] SEC(\"license\") = \"GPL\";\n");
	sb_free(&body);
	if (sb->err)
		return rerr_set(err, -ENOMEM, "init: out of memory");
	return 0;
}
