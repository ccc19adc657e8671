#!/bin/sh
# Installs hoststated from this unpacked tarball.
#
#   ./install.sh                    # into /usr/local, configuration in /etc
#   PREFIX=/opt/hoststated ./install.sh
#   DESTDIR=/tmp/stage ./install.sh # for packagers: nothing outside DESTDIR is touched
#   NO_SERVICE=1 ./install.sh       # without the systemd unit or rc.d script
#   ./install.sh uninstall          # removes what an install put in place (same PREFIX etc.)
#   ./install.sh --help             # this text
#
# Settings are environment variables; an argument other than these is refused.
# Installs PREFIX/bin/{hoststated,hoststatectl}, the jars in PREFIX/lib/hoststated (with the
# AppCDS archive that speeds up hoststatectl), the manuals in PREFIX/share/man, bash completion,
# a sample SYSCONFDIR/hoststated.conf (never over an existing one), and the systemd unit (Linux
# running systemd, or any DESTDIR) or the rc.d script (OpenBSD). Creates the unprivileged user
# _hoststated and its home /var/empty when missing. Run as root. With DESTDIR, neither the user
# nor hoststatectl's class data archive is made: a package's post-install step should run
#   HOSTSTATECTL_MAKE_ARCHIVE=1 PREFIX/bin/hoststatectl
# (and again after the Java runtime is upgraded; until then the CLI just starts slower).
# An uninstall keeps SYSCONFDIR/hoststated.conf, the user _hoststated and /var/empty, and says so.
set -eu

PREFIX=${PREFIX:-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}
DESTDIR=${DESTDIR:-}
NO_SERVICE=${NO_SERVICE:-}
USER_NAME=_hoststated
src=$(cd "$(dirname "$0")" && pwd)

say() { echo "install.sh: $*"; }
die() { echo "install.sh: $*" >&2; exit 1; }

# What "--help" prints: the comment at the top of this file.
usage() { sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'; }

mode=install
case "${1:-}" in
  "") ;;
  -h | --help | help) usage; exit 0 ;;
  uninstall | --uninstall) mode=uninstall ;;
  *) die "unknown argument: $1 (settings are environment variables, as in PREFIX=/opt/hoststated ./install.sh; see ./install.sh --help)" ;;
esac
[ $# -le 1 ] || die "one argument at most (see ./install.sh --help)"

[ "$(id -u)" = 0 ] || [ -n "$DESTDIR" ] || die "run as root (or set DESTDIR)"
command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || die "no java on PATH: install a JDK or JRE 17 or newer"
# bin/hoststated names the parent JVM with bash's exec -a ("hoststated: parent"), which the
# rc.d script and ps rely on; OpenBSD's base system has no bash.
command -v bash >/dev/null 2>&1 || die "no bash on PATH: hoststated's launcher needs it (OpenBSD: pkg_add bash)"

bindir=$DESTDIR$PREFIX/bin
libdir=$DESTDIR$PREFIX/lib/hoststated
mandir=$DESTDIR$PREFIX/share/man
compdir=$DESTDIR$PREFIX/share/bash-completion/completions
docdir=$DESTDIR$PREFIX/share/doc/hoststated
etcdir=$DESTDIR$SYSCONFDIR
unit=$DESTDIR/etc/systemd/system/hoststated.service
rcscript=$DESTDIR/etc/rc.d/hoststated

# A daemon of this PREFIX that runs (its class path is this PREFIX's jars).
running_here() {
  [ -z "$DESTDIR" ] && command -v pgrep >/dev/null 2>&1 \
    && pgrep -f "^hoststated: parent.* -cp $PREFIX/(bin/\.\./)?lib/hoststated/" >/dev/null 2>&1
}

if [ "$mode" = uninstall ]; then
  ! running_here || die "hoststated from $PREFIX runs: stop it first (systemctl stop hoststated, or hoststatectl stop)"
  if [ -e "$unit" ]; then
    if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null 2>&1; then
      systemctl disable hoststated >/dev/null 2>&1 || true
    fi
    rm -f "$unit"
    [ -n "$DESTDIR" ] || ! command -v systemctl >/dev/null 2>&1 || systemctl daemon-reload
    say "removed $unit"
  fi
  [ ! -e "$rcscript" ] || { rm -f "$rcscript"; say "removed $rcscript"; }
  rm -f "$bindir/hoststated" "$bindir/hoststatectl" "$mandir/man5/hoststated.conf.5" \
    "$mandir/man8/hoststated.8" "$mandir/man8/hoststatectl.8" "$compdir/hoststatectl"
  rm -rf "$libdir" "$docdir"
  say "removed hoststated and hoststatectl from $DESTDIR$PREFIX (bin, lib/hoststated, manuals, completion, share/doc/hoststated)"
  [ ! -e "$etcdir/hoststated.conf" ] || say "kept $DESTDIR$SYSCONFDIR/hoststated.conf: remove it yourself if it is no longer wanted"
  if [ -z "$DESTDIR" ] && id "$USER_NAME" >/dev/null 2>&1; then
    say "kept the user $USER_NAME and /var/empty (userdel $USER_NAME removes the user)"
  fi
  exit 0
fi

mkdir -p "$bindir" "$libdir" "$mandir/man5" "$mandir/man8" "$compdir" "$docdir" "$etcdir"

# Jars: replace the previous version's, so that two versions never share a class path.
rm -f "$libdir"/*.jar "$libdir/hoststatectl.jsa"
cp "$src"/lib/*.jar "$src/lib/hoststatectl.classlist" "$libdir/"
chmod 644 "$libdir"/*
install -m 755 "$src/bin/hoststatectl" "$bindir/"
install -m 644 "$src/man/man5/hoststated.conf.5" "$mandir/man5/"
install -m 644 "$src/man/man8/hoststated.8" "$src/man/man8/hoststatectl.8" "$mandir/man8/"
install -m 644 "$src/etc/hoststatectl.bash-completion" "$compdir/hoststatectl"
install -m 644 "$src/doc/keepalived.md" "$docdir/"
case $PREFIX in
  /usr | /usr/local) ;;
  # bash-completion looks under XDG_DATA_DIRS (/usr/local/share:/usr/share), not PREFIX/share.
  *) say "bash completion is in $PREFIX/share/bash-completion/completions: add $PREFIX/share to XDG_DATA_DIRS, or source it from ~/.bashrc" ;;
esac

if [ -e "$etcdir/hoststated.conf" ]; then
  say "kept the existing $SYSCONFDIR/hoststated.conf"
else
  install -m 600 "$src/etc/hoststated.conf" "$etcdir/hoststated.conf"
  say "installed a sample $DESTDIR$SYSCONFDIR/hoststated.conf: edit it before starting the daemon"
fi

# The service files name /usr/local/bin and /etc; point them at this PREFIX and SYSCONFDIR.
rewrite() {
  sed -e "s|/usr/local/bin/|$PREFIX/bin/|g" -e "s|/etc/hoststated.conf|$SYSCONFDIR/hoststated.conf|g" "$1"
}
# The launcher's default configuration file (hoststated -n without -f) is SYSCONFDIR's too.
rewrite "$src/bin/hoststated" > "$bindir/hoststated"
chmod 755 "$bindir/hoststated"
# Said once both are in place: a run cut short (its output piped into head) said it of both.
say "installed hoststated and hoststatectl in $DESTDIR$PREFIX/bin"

# A service file edited by hand (the unit's ExecReload with -s, say) is kept beside the new one:
# an upgrade overwrote it without a word. Drop-ins (systemctl edit hoststated) survive upgrades.
install_service() { # FROM TO MODE
  rewrite "$1" > "$2.new"
  if [ -e "$2" ] && ! cmp -s "$2" "$2.new"; then
    cp -p "$2" "$2.old"
    say "$2 differed from this version's: the old one is kept as $2.old"
  fi
  mv "$2.new" "$2"
  chmod "$3" "$2"
}
if [ -n "$NO_SERVICE" ]; then
  say "no service file installed (NO_SERVICE): the tarball's etc/ has them"
elif [ "$(uname -s)" = OpenBSD ]; then
  mkdir -p "$DESTDIR/etc/rc.d"
  install_service "$src/etc/hoststated.rc" "$rcscript" 555
  say "installed $DESTDIR/etc/rc.d/hoststated (rcctl enable hoststated; rcctl start hoststated)"
elif [ -n "$DESTDIR" ] || [ -d /run/systemd/system ]; then
  mkdir -p "$DESTDIR/etc/systemd/system"
  install_service "$src/etc/hoststated.service" "$unit" 644
  if [ -z "$DESTDIR" ]; then
    systemctl daemon-reload
  fi
  say "installed $DESTDIR/etc/systemd/system/hoststated.service (systemctl enable --now hoststated)"
else
  say "systemd is not running here: no unit installed (the tarball's etc/hoststated.service is one)"
fi

if [ -z "$DESTDIR" ]; then
  # The engines drop to this user and chroot to its home, which must not be writable by it
  # (an existing one is left as it is: hoststated refuses to start if it is).
  if [ ! -d /var/empty ]; then
    mkdir -p /var/empty
    chmod 755 /var/empty
  fi
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    if [ "$(uname -s)" = OpenBSD ]; then
      useradd -d /var/empty -s /sbin/nologin -c "hoststated privilege separation" "$USER_NAME"
    else
      useradd -r -d /var/empty -s /usr/sbin/nologin -c "hoststated privilege separation" "$USER_NAME"
    fi
    say "created the user $USER_NAME"
  fi
  # A static AppCDS archive for hoststatectl, made by this machine's java from the installed jars.
  if HOSTSTATECTL_MAKE_ARCHIVE=1 "$bindir/hoststatectl" >/dev/null 2>&1; then
    say "made $PREFIX/lib/hoststated/hoststatectl.jsa (faster hoststatectl start-up)"
  else
    say "could not make the class data archive; hoststatectl works without it, only slower"
  fi
fi
# A daemon of this PREFIX already running keeps its own build (its engines too) until it is
# restarted; one of another PREFIX or a checkout is none of this install's business.
if running_here; then
  say "hoststated from $PREFIX is running the build it started with: restart it to run this one"
fi
case ":$PATH:" in
  *":$PREFIX/bin:"*) ;;
  *) [ -n "$DESTDIR" ] || say "$PREFIX/bin is not on PATH: add it, or run $PREFIX/bin/hoststated" ;;
esac
say "done: see hoststated(8) and hoststatectl(8)"
