#!/usr/bin/env sh
# Install Graphviz's `dot` program, which microtensor.viz uses to render graphs as SVG/PNG.
# (The Python package `graphviz` is a pip dependency; it only writes DOT text and calls `dot`.)
set -eu

if command -v dot >/dev/null 2>&1; then
    echo "Graphviz is already installed: $(dot -V 2>&1)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi

if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends graphviz
elif command -v brew >/dev/null 2>&1; then
    brew install graphviz
elif command -v choco >/dev/null 2>&1; then
    choco install graphviz -y
elif command -v conda >/dev/null 2>&1; then
    conda install -y graphviz
else
    echo "Don't know how to install Graphviz here; see https://graphviz.org/download/" >&2
    exit 1
fi

dot -V
