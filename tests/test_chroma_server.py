"""Ingestion and answers through a real Chroma server (``chroma run`` on
loopback, reached with HttpClient): the path beyond one machine works
with the same code, only ASSISTANT_CHROMA_HOST/PORT set."""
import json
import shutil
import subprocess
import time
import urllib.request

import pytest
from conftest import CORPUS, SEED, free_port, stop

QUESTION = "上林英才的项目资助资金怎么分批拨付？"


def wait_for_heartbeat(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"chroma run exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1) as resp:
                if "nanosecond heartbeat" in json.loads(resp.read()):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("chroma server did not answer its heartbeat")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    chroma = shutil.which("chroma")
    if chroma is None:
        pytest.fail("the chroma CLI (from the chromadb package) is not on PATH")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    server = subprocess.Popen(
        [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_heartbeat(port, server)
        yield port
    finally:
        stop(server, timeout=10)


@pytest.fixture(scope="module")
def server_settings(chroma_server, tmp_path_factory, monkeypatch_module):
    from assistant.config import Settings

    monkeypatch_module.setenv("ASSISTANT_CHROMA_HOST", "127.0.0.1")
    monkeypatch_module.setenv("ASSISTANT_CHROMA_PORT", str(chroma_server))
    for name in ("ASSISTANT_LLM_BASE_URL", "ASSISTANT_LLM_MODEL"):
        monkeypatch_module.delenv(name, raising=False)
    # The manifest stays in the local index folder; the vectors go to the server.
    return Settings().with_(index_dir=tmp_path_factory.mktemp("server-index"), collection="server_test_chunks")


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_ingest_and_ask_through_a_chroma_server(server_settings, chroma_server):
    from assistant.ingestion import ingest
    from assistant.qa import Assistant
    from assistant.store import VectorStore

    assert server_settings.chroma_host == "127.0.0.1" and server_settings.chroma_port == chroma_server
    report = ingest(CORPUS, settings=server_settings)
    assert not report.failed and report.chunks_total > 0, report.summary()

    store = VectorStore(server_settings)
    assert store.client.get_settings().chroma_server_http_port == chroma_server
    assert store.count() == report.chunks_total
    assert not (server_settings.index_dir / "chroma").exists()  # nothing embedded locally

    answer = Assistant(server_settings, llm=None).ask(QUESTION)
    assert not answer.refused, answer.text
    assert any(c.source == SEED for c in answer.citations), [c.source for c in answer.citations]
    assert "20%" in answer.text

    again = ingest(CORPUS, settings=server_settings)
    assert again.chunks_embedded == 0 and not again.added and len(again.unchanged) == len(report.unchanged) + len(report.added)
