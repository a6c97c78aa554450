#!/bin/bash
# Entrypoint of a batch tool image (labforge 0.1.0): load the tool's module, then
# run its command with the arguments given to the container, e.g.
#   podman run -v ./in:/in:ro -v ./out:/out IMAGE --input /in/model.py --output /out
# LAB_TOOL_MODULE and LAB_TOOL_COMMAND come from the image (ENV); the command is plain words.
# shellcheck disable=SC1091
source /usr/share/lmod/lmod/init/bash
if ! module load "$LAB_TOOL_MODULE"; then
  echo "tool-entrypoint: cannot load module $LAB_TOOL_MODULE" >&2
  exit 127
fi
read -r -a command <<< "$LAB_TOOL_COMMAND"
exec "${command[@]}" "$@"
