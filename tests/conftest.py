import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

CORPUS = ROOT / "corpus"
SEED = "00_cixi_kjj_2022-06-22_rd18-1_jianyi190_dafu.txt"
