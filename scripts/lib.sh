# Shared shell helpers for scripts/setup, scripts/test, scripts/demo and scripts/bench (sourced, not run).
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENVS="$REPO/.envs"
MIN_VENV="$ENVS/min"
FORKY="$ENVS/forky"
PY313="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")/versions/3.13.0/bin/python3.13"
[ -x "$PY313" ] || PY313=$(command -v python3.13 || echo python3.13)

log() { printf '[%s] %s\n' "${LOG_TAG:-kobra2}" "$*" >&2; }

# Python >= 3.14.2 on PATH, if any (then "latest" runs without a chroot).
host_py314() {
  local py
  for py in python3.14 python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 14, 2))' 2>/dev/null; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}

latest_mode() {
  if [ -x "$ENVS/latest/bin/python" ]; then echo venv
  elif [ -f "$FORKY/venv/pyvenv.cfg" ] && ls "$FORKY"/venv/.kobra2-* >/dev/null 2>&1; then echo chroot
  else echo none
  fi
}

# Run a shell command in the latest environment, from the repository root.
# The chroot runs in a private mount namespace, so /proc and /dev mounts vanish
# with it and nothing is left mounted inside the repository afterwards.
in_latest() {
  case "$(latest_mode)" in
    venv) (cd "$REPO" && PATH="$ENVS/latest/bin:$PATH" bash -c "$1") ;;
    chroot)
      cp -f /etc/resolv.conf "$FORKY/etc/resolv.conf" 2>/dev/null || true
      unshare --mount --propagation private bash -c '
        set -e
        root=$1 repo=$2
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        mount -t tmpfs tmpfs "$root/tmp"
        mkdir -p "$root$repo"
        mount --bind "$repo" "$root$repo"
        if [ -d "$repo/../shared" ]; then mkdir -p "$root$(cd "$repo/.." && pwd)/shared"; mount --bind "$repo/../shared" "$root$(cd "$repo/.." && pwd)/shared"; fi
        exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/venv/bin:/usr/sbin:/usr/bin:/sbin:/bin \
          LANG=C.UTF-8 CI="${CI:-}" KOBRA2_ENV=latest TERM=dumb bash -c "cd $repo && $3"
      ' _ "$FORKY" "$REPO" "$1"
      ;;
    *) log "latest environment missing: run scripts/setup"; return 1 ;;
  esac
}

in_min() {
  (cd "$REPO" && PATH="$MIN_VENV/bin:$PATH" KOBRA2_ENV=min bash -c "$1")
}

# The arguments quoted for a `bash -c` command line, and nothing at all for none: `printf '%q ' "$@"` alone
# prints '' (one empty argument) when there are no arguments.
quote_args() { [ $# -eq 0 ] || printf '%q ' "$@"; }
