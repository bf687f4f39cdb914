#!/usr/bin/env bash
# Installs the data Tiller's tests and commands read from Debian packages (nothing is downloaded at run time):
#   dataset-fashion-mnist -> /usr/share/datasets/fashion-mnist/*-idx*-ubyte.gz
#   openjdk-NN-source     -> lib/src.zip of a Debian OpenJDK given as JDK_HOME (the jdk corpora read it; Temurin
#                            and most other JDK builds ship it already)
# Usage: scripts/install-datasets.sh [JDK_HOME]. Needs root (or sudo) for what is missing. Safe to run again: it
# does nothing when the files are there. Exits non-zero when something stays missing, after saying what.
set -euo pipefail
FASHION=/usr/share/datasets/fashion-mnist
JDK_HOME=${1:-}
missing=0

SUDO=""
can_install() {
  command -v apt-get >/dev/null 2>&1 || { echo "datasets: apt-get not found (not a Debian system)" >&2; return 1; }
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "datasets: need root or sudo to apt-get install" >&2; return 1; }
    SUDO=sudo
  fi
}

updated=""
apt_install() {
  if [ -z "$updated" ]; then
    $SUDO apt-get update -qq
    updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if [ -f "$FASHION/train-images-idx3-ubyte.gz" ]; then
  echo "datasets: fashion-mnist already installed"
elif can_install; then
  echo "datasets: installing dataset-fashion-mnist (Debian package, about 31 MB)"
  apt_install dataset-fashion-mnist
  echo "datasets: fashion-mnist installed under $FASHION"
else
  echo "datasets: fashion-mnist missing; on a non-Debian system put the Fashion-MNIST IDX files in a folder and" \
    "pass --data FOLDER" >&2
  missing=1
fi

if [ -n "$JDK_HOME" ]; then
  if [ -f "$JDK_HOME/lib/src.zip" ]; then
    echo "datasets: $JDK_HOME/lib/src.zip present"
  else
    # A Debian OpenJDK: its java binary belongs to openjdk-NN-jre(-headless), its sources to openjdk-NN-source.
    pkg=$(dpkg -S "$(readlink -f "$JDK_HOME/bin/java")" 2>/dev/null | sed -n 's/^\(openjdk-[0-9]*\)-jre.*/\1/p' \
      | head -n 1) || true
    if [ -n "$pkg" ] && can_install && apt_install "$pkg-source" && [ -f "$JDK_HOME/lib/src.zip" ]; then
      echo "datasets: installed $pkg-source ($JDK_HOME/lib/src.zip)"
    else
      echo "datasets: $JDK_HOME has no lib/src.zip (not a Debian OpenJDK, or $pkg-source could not be" \
        "installed); use a JDK that ships its sources, e.g. Temurin" >&2
      missing=1
    fi
  fi
fi
exit "$missing"
