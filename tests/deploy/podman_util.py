"""podman as these machines need it (../shared/notes/container-facts.md): on runc (crun refuses
the hybrid cgroups), with ulimits within the machine's hard limits (podman's defaults exceed
them)."""
import resource

PODMAN = ["podman", "--runtime", "runc"]
_nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
_nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
_nofile = 20000 if _nofile == resource.RLIM_INFINITY else min(_nofile, 20000)
_nproc = 4096 if _nproc == resource.RLIM_INFINITY else min(_nproc, 4096)
ULIMITS = ["--ulimit", f"nofile={_nofile}:{_nofile}", "--ulimit", f"nproc={_nproc}:{_nproc}"]
