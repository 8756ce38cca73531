"""One vLLM OpenAI-compatible server for every test in this folder.

The server (from the vLLM environment, `.venv-vllm`) serves the session's tiny model under
`SERVED_MODEL` and asks for `API_KEY`. It is started on first use and stopped after the last test
of the folder, so its start-up (half a minute on two cores) is paid once.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import vllm_support  # noqa: E402

SERVED_MODEL = "tiny-math"
API_KEY = "evalkit-test-key"
SERVER_START_TIMEOUT_S = 300


@dataclass(frozen=True)
class Server:
    root: str
    """`http://127.0.0.1:PORT`; the OpenAI API is under `/v1`."""
    log_path: Path
    start_s: float

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"


@pytest.fixture(scope="package")
def vllm_server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log_path = tmp_path_factory.mktemp("vllm_server") / "server.log"
    started = time.monotonic()
    with vllm_support.openai_server(tiny_model_dir, log_path, SERVED_MODEL, api_key=API_KEY,
                                    start_timeout_s=SERVER_START_TIMEOUT_S) as root:
        start_s = time.monotonic() - started
        print(f"vLLM server ready in {start_s:.1f} s")
        yield Server(root, log_path, start_s)
