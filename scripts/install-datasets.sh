#!/usr/bin/env bash
# Installs the datasets Tiller reads from Debian packages (nothing is downloaded at run time):
#   dataset-fashion-mnist -> /usr/share/datasets/fashion-mnist/*-idx*-ubyte.gz
# Needs root (or sudo). Safe to run again: it does nothing when the files are there.
set -euo pipefail
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "datasets: fashion-mnist already installed"; exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "datasets: need root or sudo to apt-get install dataset-fashion-mnist" >&2; exit 1; }
  SUDO=sudo
fi
command -v apt-get >/dev/null 2>&1 || { echo "datasets: apt-get not found; on a non-Debian system put the Fashion-MNIST IDX files in a folder and pass --data FOLDER" >&2; exit 1; }
echo "datasets: installing dataset-fashion-mnist (Debian package, about 31 MB)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null
echo "datasets: fashion-mnist installed under /usr/share/datasets/fashion-mnist"
