# bash completion for ebpfctl                                   -*- shell-script -*-
#
# Installed by `make install` as PREFIX/share/bash-completion/completions/ebpfctl
# (bash-completion loads it on first use); or: source completion/ebpfctl.bash
#
# Commands and each command's options are read from the ebpfctl being completed
# (`ebpfctl --help`, `ebpfctl CMD --help`), so they never drift from the binary.
# Kept here: the values of enumerated options (tests/deploy/test_man_completion.py
# checks them against --help) and what kind of argument each option takes.
# `--set` names are the settable globals of the objects on the command line, as
# `ebpfctl check --load-only OBJ --set NAME=...` lists them for an unknown NAME.
# A tracepoint (`trace`, `init --tracepoint`) is a CATEGORY:NAME of tracefs's
# events/, and `--fields` its fields, from its format file, where they are readable.
# A REF (OCI artifact) is one of the local store's references, as
# `ebpfctl list --json` lists them; a REGISTRY one of their hosts or of the
# registries saved in docker's config.json.
# Needs no bash-completion helpers.

# The ebpfctl the command line names (its first word).
__ebpfctl_bin()
{
	local w=$1
	[[ $w == \~/* ]] && w=$HOME/${w#\~/}
	if [[ $w == */* ]]; then
		[[ -x $w ]] && printf '%s\n' "$w"
	else
		type -P -- "$w" 2>/dev/null
	fi
}

# Run ebpfctl for completion: none of the user's EBPFCTL_* settings apply, bounded
# in time, no output on the terminal.
__ebpfctl_query()
{
	(
		for v in "${!EBPFCTL_@}"; do unset "$v"; done
		if type -P timeout >/dev/null 2>&1; then
			timeout 5 "$@" 2>&1
		else
			"$@" 2>&1
		fi
	) </dev/null
}

declare -gA __ebpfctl_help_cache 2>/dev/null || true
__ebpfctl_stamp=

# Load `ebpfctl [CMD] --help` into the cache (call it outside $(...) to keep it: the
# cache lives as long as the shell, keyed by binary, its mtime and size, command).
__ebpfctl_load()
{
	local key="$1|$__ebpfctl_stamp|$2"
	[[ -n ${__ebpfctl_help_cache[$key]+set} ]] && return
	if [[ -n $2 ]]; then
		__ebpfctl_help_cache[$key]=$(__ebpfctl_query "$1" "$2" --help)
	else
		__ebpfctl_help_cache[$key]=$(__ebpfctl_query "$1" --help)
	fi
}

__ebpfctl_help()
{
	__ebpfctl_load "$1" "$2"
	printf '%s\n' "${__ebpfctl_help_cache[$1|$__ebpfctl_stamp|$2]}"
}

# The commands, from the "Commands:" list of `ebpfctl --help`.
__ebpfctl_commands()
{
	local line in=0
	while IFS= read -r line; do
		if [[ $line == Commands:* ]]; then
			in=1
		elif ((in)) && [[ $line =~ ^\ +([a-z][a-z0-9-]*)\ \  ]]; then
			printf '%s\n' "${BASH_REMATCH[1]}"
		elif ((in)) && [[ -z $line ]]; then
			in=0
		fi
	done < <(__ebpfctl_help "$1" "")
}

# The options of a command's --help (its option lines: "  -o, --output OBJECT  ...",
# "      --force  ..."), one a line, with " ARG" after those that take a value (a
# metavariable follows them).
__ebpfctl_options()
{
	local line arg
	while IFS= read -r line; do
		# (continuation lines are indented further and may start with an option too)
		# ("  --iface, --xdp-mode, ..." in check's prose is not an option line)
		if [[ $line =~ ^\ {1,8}(-[a-zA-Z]),\ +(--[a-z][a-z0-9-]*)(\ [A-Z[]|=|\ |$) ]]; then
			arg=${BASH_REMATCH[3]#\ }
			arg=${arg:+ ARG}
			printf '%s%s\n' "${BASH_REMATCH[1]}" "$arg" "${BASH_REMATCH[2]}" "$arg"
		elif [[ $line =~ ^\ {1,8}(--[a-z][a-z0-9-]*)(\ [A-Z[]|=|\ |$) ]]; then
			arg=${BASH_REMATCH[2]#\ }
			printf '%s%s\n' "${BASH_REMATCH[1]}" "${arg:+ ARG}"
		fi
	done < <(__ebpfctl_help "$1" "$2")
}

# Options of CMD as "OPT" or "OPT ARG" lines; check and trace also take every run
# option.
__ebpfctl_cmd_options()
{
	{
		__ebpfctl_options "$1" "$2"
		[[ $2 == check || $2 == trace ]] && __ebpfctl_options "$1" run
	} | awk '!($1 in a) || $2 != "" { a[$1] = $2 } END { for (k in a) print k (a[k] != "" ? " " a[k] : "") }'
}

# capabilities(7), for --capabilities-keep
__ebpfctl_caps="cap_audit_control cap_audit_read cap_audit_write cap_block_suspend cap_bpf
cap_checkpoint_restore cap_chown cap_dac_override cap_dac_read_search cap_fowner cap_fsetid
cap_ipc_lock cap_ipc_owner cap_kill cap_lease cap_linux_immutable cap_mac_admin
cap_mac_override cap_mknod cap_net_admin cap_net_bind_service cap_net_broadcast cap_net_raw
cap_perfmon cap_setfcap cap_setgid cap_setpcap cap_setuid cap_sys_admin cap_sys_boot
cap_sys_chroot cap_sys_module cap_sys_nice cap_sys_pacct cap_sys_ptrace cap_sys_rawio
cap_sys_resource cap_sys_time cap_sys_tty_config cap_syslog cap_wake_alarm"

# Values of the enumerated options (checked against --help by the tests).
__ebpfctl_enum()
{
	case $1:$2 in
	*:--xdp-mode) echo "auto native generic" ;;
	*:--log-format) echo "text json" ;;
	run:--pull | check:--pull | trace:--pull) echo "missing always never" ;;
	init:--program-type | init:-p) echo "network file process syscall" ;;
	init:--map-type | init:-m) echo "ringbuf hash" ;;
	init:--output-type | init:-o) echo "print counter gauge hist" ;;
	*) return 1 ;;
	esac
}

# Settable globals of OBJ, from the usage error an unknown --set name gets:
#   error: --set X=0: unknown global 'X': settable globals are a (u32), b (char[16])
# ebpfctl can only say so where it may use bpf() (it stops at its first bpf() call
# otherwise, e.g. for a user completing `sudo ebpfctl ...`): then the VARs of the
# object's .rodata/.data/.bss DATASECs, read with bpftool as ebpfctl reads them.
__ebpfctl_globals()
{
	local out list item
	out=$(__ebpfctl_query "$1" check --load-only "$2" --set __ebpfctl_completion__=0)
	if [[ $out == *"settable globals are "* ]]; then
		list=${out#*settable globals are }
		list=${list%%$'\n'*}
		local IFS=,
		for item in $list; do
			item=${item# }
			item=${item%% *}
			[[ $item =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && printf '%s\n' "$item"
		done
		return 0
	fi
	local bpftool p line in=0 id name
	local -A types=()
	local -a vars=()
	bpftool=$(type -P bpftool 2>/dev/null)
	for p in /usr/sbin/bpftool /sbin/bpftool; do
		[[ -z $bpftool && -x $p ]] && bpftool=$p
	done
	[[ -n $bpftool ]] || return 0
	while IFS= read -r line; do
		if [[ $line =~ ^\[([0-9]+)\]\  ]]; then
			types[${BASH_REMATCH[1]}]=$line
		fi
		if [[ $line =~ ^\[[0-9]+\]\ DATASEC\ \'(\.rodata|\.data|\.bss)(\.[^\']*)?\' && $line != *.kconfig* ]]; then
			in=1
		elif [[ $line == \[* ]]; then
			in=0
		elif ((in)) && [[ $line =~ type_id=([0-9]+).*\(VAR\ \'([A-Za-z_][A-Za-z0-9_]*)\'\) ]]; then
			vars+=("${BASH_REMATCH[1]} ${BASH_REMATCH[2]}")
		fi
	done < <("$bpftool" btf dump file "$2" 2>/dev/null)
	for p in "${vars[@]}"; do
		id=${p%% *} name=${p#* }
		# ebpfctl's loss counters (ebpfctl_helpers.h) are not settable
		[[ $name == __ebpfctl_lost_* ]] && continue
		__ebpfctl_settable "$id" && printf '%s\n' "$name"
	done
}

# Whether BTF type ID (of the types array above) is one --set takes: an integer,
# enum or float, or an array of 1-byte integers (a string); as runner/globals.c.
__ebpfctl_settable()
{
	local t=${types[$1]} elem=0
	while [[ $t =~ ^\[[0-9]+\]\ (VAR|CONST|VOLATILE|TYPEDEF|TYPE_TAG|RESTRICT)\ .*type_id=([0-9]+) ]]; do
		t=${types[${BASH_REMATCH[2]}]}
	done
	if ((!elem)) && [[ $t =~ ^\[[0-9]+\]\ ARRAY\ .*\ type_id=([0-9]+) ]]; then
		t=${types[${BASH_REMATCH[1]}]}
		while [[ $t =~ ^\[[0-9]+\]\ (CONST|VOLATILE|TYPEDEF|TYPE_TAG)\ .*type_id=([0-9]+) ]]; do
			t=${types[${BASH_REMATCH[2]}]}
		done
		[[ $t =~ ^\[[0-9]+\]\ INT\ .*size=1\  ]]
		return
	fi
	[[ $t =~ ^\[[0-9]+\]\ (INT|ENUM|ENUM64)\  || $t =~ ^\[[0-9]+\]\ FLOAT\ .*size=(4|8)$ ]]
}

# tracefs's events/ directory, where it can be read (nothing where it is not
# mounted: the completion mounts nothing).
__ebpfctl_events()
{
	local d
	for d in /sys/kernel/tracing/events /sys/kernel/debug/tracing/events; do
		if [[ -d $d && -r $d && -x $d ]]; then
			printf '%s\n' "$d"
			return 0
		fi
	done
	return 1
}

# The tracepoints CATEGORY:NAME that start with $1 (only the matching categories'
# directories are read).
__ebpfctl_tracepoints()
{
	local events cat="" d c
	events=$(__ebpfctl_events) || return 0
	[[ $1 == *:* ]] && cat=${1%%:*}
	# (a category is one directory name: nothing else is looked up)
	[[ $cat == */* || $cat == .* ]] && return 0
	for c in "$events"/*/; do
		c=${c%/}
		c=${c##*/}
		if [[ -n $cat ]]; then
			[[ $c == "$cat" ]] || continue
		else
			[[ $c == "$1"* ]] || continue
		fi
		for d in "$events/$c"/*/; do
			d=${d%/}
			[[ -e $d/format ]] && printf '%s:%s\n' "$c" "${d##*/}"
		done
	done
}

# The fields of tracepoint $1 (CATEGORY:NAME or CATEGORY/NAME) as --fields names
# them: the common_* fields left out, a field named __x as x (as runner/tpgen.c).
__ebpfctl_tp_fields()
{
	local events format line decl name
	events=$(__ebpfctl_events) || return 0
	[[ $1 =~ ^([A-Za-z0-9_-][A-Za-z0-9_.-]*)[:/]([A-Za-z0-9_-][A-Za-z0-9_.-]*)$ ]] || return 0
	format=$events/${BASH_REMATCH[1]}/${BASH_REMATCH[2]}/format
	[[ -r $format ]] || return 0
	while IFS= read -r line; do
		[[ $line == *field:*\;* ]] || continue
		decl=${line#*field:}
		decl=${decl%%;*}
		# the name is the last identifier before any [N] (but of __data_loc T[] NAME)
		[[ $decl != __data_loc* && $decl != __rel_loc* ]] && decl=${decl%%\[*}
		[[ $decl =~ ([A-Za-z0-9_]+)[[:space:]]*$ ]] || continue
		name=${BASH_REMATCH[1]}
		[[ $name == common_* ]] && continue
		while [[ $name == _* ]]; do name=${name#_}; done
		[[ -n $name ]] && printf '%s\n' "$name"
	done <"$format"
}

# Program names of OBJ (functions outside .text), for --attach PROG=.
__ebpfctl_programs()
{
	type -P llvm-objdump >/dev/null 2>&1 || return 0
	llvm-objdump -t "$1" 2>/dev/null |
		while read -r _ flags kind sect _ name; do
			[[ $flags == g && $kind == F && $sect != .text ]] && printf '%s\n' "$name"
		done
}

# The object name a --set OBJ: prefix takes: the file name without .bpf.o / .o.
__ebpfctl_objname()
{
	local n=${1##*/}
	n=${n%.o}
	printf '%s\n' "${n%.bpf}"
}

# The references in the local store (--store DIR on the line, else as ebpfctl
# chooses: $EBPFCTL_STORE, /var/lib/ebpfctl/store for root, else
# $XDG_DATA_HOME/ebpfctl/store), from `ebpfctl list --json`. Nothing, and no
# store created, where there is none.
__ebpfctl_refs()
{
	local dir=$2 line
	[[ -z $dir ]] && dir=${EBPFCTL_STORE-}
	if [[ -z $dir ]]; then
		if ((EUID == 0)); then
			dir=/var/lib/ebpfctl/store
		elif [[ -n ${XDG_DATA_HOME-} ]]; then
			dir=$XDG_DATA_HOME/ebpfctl/store
		elif [[ -n ${HOME-} ]]; then
			dir=$HOME/.local/share/ebpfctl/store
		fi
	fi
	[[ $dir == \~/* ]] && dir=$HOME/${dir#\~/}
	[[ -n $dir && -f $dir/index.json ]] || return 0
	while IFS= read -r line; do
		# (only what a reference can be: the store's index.json is not trusted)
		[[ $line =~ \"reference\":[[:space:]]*\"([][A-Za-z0-9._:/@-]+)\" ]] && printf '%s\n' "${BASH_REMATCH[1]}"
	done < <(__ebpfctl_query "$1" list --json --store "$dir")
}

# Registries: the hosts of the stored references (with $1, a store to ask) and
# the ones docker's config.json has credentials for, where login saves them.
__ebpfctl_registries()
{
	local r content key cfg=${DOCKER_CONFIG:-$HOME/.docker}/config.json
	if [[ -n $1 ]]; then
		while IFS= read -r r; do
			r=${r%%/*}
			[[ $r == *[.:]* || $r == localhost || $r == \[* ]] && printf '%s\n' "$r"
		done < <(__ebpfctl_refs "$1" "$2")
	fi
	[[ -r $cfg ]] || return 0
	content=$(<"$cfg")
	# every "KEY": { of the file whose KEY is a host ("auths" and others are not)
	while [[ $content =~ \"([^\"]+)\"[[:space:]]*:[[:space:]]*\{(.*) ]]; do
		key=${BASH_REMATCH[1]} content=${BASH_REMATCH[2]}
		key=${key#http*://}
		key=${key%%/*}
		[[ $key =~ ^([A-Za-z0-9-]+\.[A-Za-z0-9.-]*|localhost|\[[0-9a-fA-F:]+\])(:[0-9]+)?$ ||
			$key =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] && printf '%s\n' "$key"
	done
}

# Add the words of list $1 (one a line) that start with $2 and are not in $3..
__ebpfctl_matching()
{
	local list=$1 cur=$2 w x
	shift 2
	while IFS= read -r w; do
		[[ -n $w && $w == "$cur"* ]] || continue
		for x in "$@" "${COMPREPLY[@]}"; do
			[[ $x == "$w" ]] && continue 2
		done
		COMPREPLY+=("$w")
	done <<<"$list"
}

# Files matching a glob (and directories to walk into).
__ebpfctl_files()
{
	local cur=$1 glob=$2 f
	compopt -o filenames 2>/dev/null
	# shellcheck disable=SC2053 # $glob is a pattern
	while IFS= read -r f; do
		if [[ -d $f ]]; then
			COMPREPLY+=("$f/")
		elif [[ -z $glob || ${f##*/} == $glob ]]; then
			COMPREPLY+=("$f")
		fi
	done < <(compgen -f -- "$cur")
	[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]] && compopt -o nospace 2>/dev/null
	return 0
}

__ebpfctl_dirs()
{
	local d
	compopt -o filenames -o nospace 2>/dev/null
	while IFS= read -r d; do
		COMPREPLY+=("$d/")
	done < <(compgen -d -- "$1")
}

__ebpfctl_words()
{
	local w
	while IFS= read -r w; do
		COMPREPLY+=("$w")
	done < <(compgen -W "$1" -- "$2")
}

# Complete the value of option OPT (of command CMD), typed so far as CUR; TP is the
# tracepoint on the line (for --fields), OBJ... the object files.
__ebpfctl_value()
{
	local bin=$1 cmd=$2 opt=$3 cur=$4 tp=$5 vals
	shift 5
	local -a objs=("$@")
	if vals=$(__ebpfctl_enum "$cmd" "$opt"); then
		__ebpfctl_words "$vals" "$cur"
		return
	fi
	case $opt in
	--iface)
		local -a ifs=(/sys/class/net/*)
		__ebpfctl_words "${ifs[*]##*/}" "$cur" ;;
	--cgroup)
		[[ -z $cur ]] && cur=/sys/fs/cgroup/
		__ebpfctl_dirs "$cur" ;;
	--host-root | --store)
		__ebpfctl_dirs "$cur" ;;
	--pid)
		local -a pids=(/proc/[0-9]*)
		__ebpfctl_words "${pids[*]##*/}" "$cur" ;;
	--clang)
		if [[ $cur == */* ]]; then
			__ebpfctl_files "$cur" ""
		else
			__ebpfctl_words "$(compgen -c -- clang | sort -u)" "$cur"
		fi ;;
	--capabilities-keep)
		# a comma-separated list: complete its last item
		local head="" item=$cur c
		if [[ $cur == *,* ]]; then
			head=${cur%,*},
			item=${cur##*,}
		fi
		local -a caps=()
		[[ -z $head ]] && caps+=(none auto)
		for c in $__ebpfctl_caps; do caps+=("$c"); done
		while IFS= read -r c; do COMPREPLY+=("$head$c"); done < <(compgen -W "${caps[*]}" -- "$item")
		compopt -o nospace 2>/dev/null ;;
	--tracepoint | -t)
		__ebpfctl_words "$(__ebpfctl_tracepoints "$cur")" "$cur" ;;
	--fields)
		# a comma-separated list of the tracepoint's fields: complete its last item
		local head="" item=$cur f
		if [[ $cur == *,* ]]; then
			head=${cur%,*},
			item=${cur##*,}
		fi
		local -a fields=()
		while IFS= read -r f; do
			[[ ,$head == *,"$f",* ]] || fields+=("$f")
		done < <(__ebpfctl_tp_fields "$tp")
		while IFS= read -r f; do COMPREPLY+=("$head$f"); done < <(compgen -W "${fields[*]}" -- "$item")
		compopt -o nospace 2>/dev/null ;;
	--folded | --btf | --file | -f | --web-config | --ca-file)
		__ebpfctl_files "$cur" "" ;;
	--annotation)
		# the OCI annotation keys (a KEY=VALUE: complete the key)
		[[ $cur == *=* ]] && return 0
		local k
		local -a keys=()
		for k in authors description documentation licenses revision source url vendor version; do
			keys+=("org.opencontainers.image.$k=")
		done
		__ebpfctl_words "${keys[*]}" "$cur"
		compopt -o nospace 2>/dev/null ;;
	--output | -o)
		__ebpfctl_files "$cur" "*.o" ;;
	--metrics-addr)
		__ebpfctl_words "0.0.0.0:9091 127.0.0.1:9091 [::1]:9091" "$cur" ;;
	--set)
		local o n g
		local -a names=()
		for o in "${objs[@]}"; do
			n=$(__ebpfctl_objname "$o")
			while IFS= read -r g; do
				names+=("$g=")
				((${#objs[@]} > 1)) && names+=("$n:$g=")
			done < <(__ebpfctl_globals "$bin" "$o")
		done
		__ebpfctl_words "${names[*]}" "$cur"
		compopt -o nospace 2>/dev/null ;;
	--attach)
		local o p
		local -a progs=()
		if [[ $cur == *=* ]]; then
			# the target: a path (uprobe, usdt, cgroup) or nothing to offer
			local head=${cur%%=*}= tail=${cur#*=} j
			if [[ $tail == /* ]]; then
				__ebpfctl_files "$tail" ""
				for j in "${!COMPREPLY[@]}"; do COMPREPLY[j]=$head${COMPREPLY[j]}; done
			fi
			return 0
		fi
		for o in "${objs[@]}"; do
			while IFS= read -r p; do progs+=("$p="); done < <(__ebpfctl_programs "$o")
		done
		__ebpfctl_words "${progs[*]}" "$cur"
		compopt -o nospace 2>/dev/null ;;
	esac
	return 0
}

_ebpfctl()
{
	local IFS=$' \t\n'
	COMPREPLY=()
	# Split the line up to the cursor on blanks only: COMP_WORDS also breaks at
	# '=' and ':', which --set OBJ:VAR=VALUE and --opt=VALUE contain.
	local line=${COMP_LINE:0:COMP_POINT}
	local -a words=()
	read -ra words <<<"$line"
	[[ $line =~ [[:space:]]$ || ${#words[@]} -eq 0 ]] && words+=("")
	local cword=$((${#words[@]} - 1))
	local cur=${words[cword]} bin cmd="" i w prefix=""
	bin=$(__ebpfctl_bin "${words[0]}")
	[[ -n $bin ]] || return 0
	__ebpfctl_stamp=$(stat -L -c %Y.%s -- "$bin" 2>/dev/null)
	__ebpfctl_load "$bin" ""

	# What readline replaces is the text after the last '=' or ':' of the word
	if [[ $cur =~ ^(.*[=:]) ]]; then
		prefix=${BASH_REMATCH[1]}
	fi

	# The command, the objects given so far, and an option waiting for its value
	local -A takes=()
	local -a objs=()
	local pending="" after_dd=0 store="" tp=""
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if [[ -z $cmd ]]; then
			[[ $w == -* ]] && continue
			cmd=$w
			__ebpfctl_load "$bin" "$cmd"
			[[ $cmd == check || $cmd == trace ]] && __ebpfctl_load "$bin" run
			while read -r opt arg; do
				[[ -n $arg ]] && takes[$opt]=1
			done < <(__ebpfctl_cmd_options "$bin" "$cmd")
			continue
		fi
		if [[ -n $pending ]]; then
			[[ $pending == --store ]] && store=$w
			[[ $pending == --tracepoint || $pending == -t ]] && tp=$w
			pending=""
		elif ((after_dd)); then
			objs+=("$w")
		elif [[ $w == -- ]]; then
			after_dd=1
		elif [[ $w == --*=* ]]; then
			[[ $w == --store=* ]] && store=${w#--store=}
			[[ $w == --tracepoint=* ]] && tp=${w#--tracepoint=}
		elif [[ $w == -* ]]; then
			[[ -n ${takes[$w]+set} ]] && pending=$w
		else
			objs+=("$w")
		fi
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			__ebpfctl_words "--help --version" "$cur"
		else
			__ebpfctl_words "$(__ebpfctl_commands "$bin") help" "$cur"
		fi
		return 0
	fi
	[[ $cmd == help ]] && {
		__ebpfctl_words "$(__ebpfctl_commands "$bin")" "$cur"
		return 0
	}

	# trace's one argument is its tracepoint
	[[ $cmd == trace && ${#objs[@]} -gt 0 ]] && tp=${objs[0]}

	# Only existing files are objects (a REF's globals are in the store: not read here)
	local -a files=()
	for w in "${objs[@]}"; do
		[[ -f $w ]] && files+=("$w")
	done

	if [[ -n $pending ]]; then
		__ebpfctl_value "$bin" "$cmd" "$pending" "$cur" "$tp" "${files[@]}"
	elif [[ $cur == --*=* && $after_dd -eq 0 ]]; then
		local opt=${cur%%=*} val=${cur#*=}
		__ebpfctl_value "$bin" "$cmd" "$opt" "$val" "$tp" "${files[@]}"
		local j
		for j in "${!COMPREPLY[@]}"; do
			COMPREPLY[j]="$opt=${COMPREPLY[j]}"
		done
	elif [[ $cur == -* && $after_dd -eq 0 ]]; then
		local -a opts=()
		while read -r opt arg; do
			opts+=("$opt")
		done < <(__ebpfctl_cmd_options "$bin" "$cmd")
		__ebpfctl_words "${opts[*]}" "$cur"
	else
		local n=${#objs[@]}
		case $cmd in
		trace)
			# one CATEGORY:NAME
			((n == 0)) && __ebpfctl_words "$(__ebpfctl_tracepoints "$cur")" "$cur" ;;
		run | check)
			__ebpfctl_files "$cur" "*.o"
			# and the stored references, once a word is begun (an empty word: files)
			[[ -n $cur ]] && __ebpfctl_matching "$(__ebpfctl_refs "$bin" "$store")" "$cur" ;;
		build)
			# one SOURCE, then a REF
			if ((n == 0)); then
				__ebpfctl_files "$cur" "*.bpf.c"
			elif ((n == 1)); then
				__ebpfctl_matching "$(__ebpfctl_refs "$bin" "$store")" "$cur"
			fi ;;
		package)
			# OBJECT REF
			if ((n == 0)); then
				__ebpfctl_files "$cur" "*.o"
			elif ((n == 1)); then
				__ebpfctl_matching "$(__ebpfctl_refs "$bin" "$store")" "$cur"
			fi ;;
		push | pull | inspect)
			((n == 0)) && __ebpfctl_matching "$(__ebpfctl_refs "$bin" "$store")" "$cur" ;;
		tag)
			# SRC DST
			((n < 2)) && __ebpfctl_matching "$(__ebpfctl_refs "$bin" "$store")" "$cur" ;;
		rm)
			__ebpfctl_matching "$(__ebpfctl_refs "$bin" "$store")" "$cur" "${objs[@]}" ;;
		login)
			((n == 0)) && __ebpfctl_matching "$(__ebpfctl_registries "$bin" "$store")" "$cur" ;;
		logout)
			((n == 0)) && __ebpfctl_matching "$(__ebpfctl_registries "" "")" "$cur" ;;
		esac
	fi

	# Strip what bash does not replace (up to the last '=' or ':' of the word)
	if [[ -n $prefix ]]; then
		local j
		for j in "${!COMPREPLY[@]}"; do
			COMPREPLY[j]=${COMPREPLY[j]#"$prefix"}
		done
	fi
	return 0
}

complete -F _ebpfctl ebpfctl
