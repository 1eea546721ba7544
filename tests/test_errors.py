"""Every error a user may see shares one root carrying a Chinese reason."""
from __future__ import annotations

import re

import pytest

from assistant.config import ConfigError
from assistant.embeddings import EmbeddingModelError
from assistant.errors import CorpusNotFoundError, ReasonError
from assistant.ingestion import IngestBusyError, ingest
from assistant.library import UploadError
from assistant.llm import LLMError
from assistant.loaders import LoadError
from assistant.model_files import ModelDownloadError, ModelFilesError, ModelIntegrityError
from assistant.question import QuestionError
from assistant.store import IndexMismatchError

USER_FACING = [LoadError, UploadError, QuestionError, IngestBusyError, IndexMismatchError, LLMError,
               EmbeddingModelError, ModelFilesError, ModelDownloadError, ModelIntegrityError, ConfigError,
               CorpusNotFoundError]


@pytest.mark.parametrize("kind", USER_FACING, ids=lambda k: k.__name__)
def test_user_facing_errors_share_the_root_and_keep_their_reason(kind):
    assert issubclass(kind, ReasonError)
    error = kind("文件为空")
    assert error.reason == "文件为空" and str(error) == "文件为空"


def test_a_missing_corpus_folder_is_a_reason_error_in_chinese(tmp_path):
    with pytest.raises(ReasonError) as info:
        ingest(tmp_path / "没有这个目录", tmp_path / "index")
    assert info.value.reason.startswith("找不到文档目录：")
    assert re.search(r"[\u4e00-\u9fff]", info.value.reason)
