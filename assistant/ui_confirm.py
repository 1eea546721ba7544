"""Every action on the chat page is confirmed where it happened.

* 复制回答 says 已复制 beside the button (or why it could not).
* 踩 opens the comment box right under the answer that was rated, in view:
  the box floats (position: fixed) under that answer's 赞/踩 buttons and
  follows it when the chat or the page scrolls; the page scrolls just
  enough to show it. Its thanks appear in the box, which then closes.
* The chat's 政策问答 label sits in its own row above the messages instead
  of floating over them.

Plain JS and CSS for ``ui.py``; no server round trip is needed to copy.
"""
from __future__ import annotations

import csv
import time
from pathlib import Path

CSS = """
#chat label[data-testid="block-label"] { position: static; margin: 0 0 .4rem; display: inline-flex; }
#chat .top-panel { top: .35rem; }
#copy-note { min-height: 0; padding: 0; }
#copy-note p { margin: .45rem 0 0; color: #047857; font-size: .9em; }
#comment-row { position: fixed; z-index: 2147483000; width: min(560px, 90vw); padding: .6rem .8rem;
  background: var(--block-background-fill, #fff); border: 1px solid #93c5fd; border-radius: .5rem;
  box-shadow: 0 6px 24px rgba(15, 23, 42, .18); }
#comment-row.is-hidden { visibility: hidden; }
#comment-thanks p { margin: .2rem 0; color: #047857; }
"""

# Copy the plain answer; the returned text goes to the note beside the button.
COPY_JS = """async (text) => {
  if (!text) return "还没有可复制的回答。";
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
    } else {
      const area = document.createElement("textarea");
      area.value = text; document.body.appendChild(area); area.select();
      const copied = document.execCommand("copy"); area.remove();
      if (!copied) throw new Error("copy refused");
    }
    return "✓ 已复制（回答和来源）";
  } catch (e) {
    return "复制失败：请手动选中回答文字后复制。";
  }
}"""
CLEAR_JS = "() => ''"
WAIT_JS = "() => new Promise((done) => setTimeout(done, 1800))"

# Installed once per page: remember which answer's 踩 was clicked; whenever
# the comment box appears, place it under that answer and keep it there.
PAGE_JS = """() => {
  let anchor = null;
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("#chat .message-buttons button");
    if (button) anchor = button.closest(".message-buttons");
  }, true);
  const place = () => {
    const box = document.getElementById("comment-row"), chat = document.getElementById("chat");
    if (!box || !chat || !anchor || !anchor.isConnected) return;
    const at = anchor.getBoundingClientRect(), view = chat.getBoundingClientRect();
    box.style.left = Math.max(8, Math.min(at.left, innerWidth - box.offsetWidth - 8)) + "px";
    box.style.top = (at.bottom + 6) + "px";
    box.classList.toggle("is-hidden", at.bottom < view.top || at.top > view.bottom);
  };
  const show = (box) => {
    place();
    const bottom = box.getBoundingClientRect().bottom;
    if (bottom > innerHeight - 8) window.scrollBy(0, bottom - innerHeight + 24);
    place();
    const area = box.querySelector("textarea");
    if (area) area.focus({preventScroll: true});
  };
  addEventListener("scroll", place, true);
  addEventListener("resize", place);
  new MutationObserver(() => {
    const box = document.getElementById("comment-row");
    if (box && !box.dataset.placed) { box.dataset.placed = "1"; show(box); }
  }).observe(document.body, {childList: true, subtree: true});
}"""


def export_note(path: str | None) -> str:
    """What 导出 CSV just downloaded, counted from the file itself."""
    if not path or not Path(path).is_file():
        return "暂无可导出的内容，请先点“刷新”。"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = max(0, sum(1 for _ in csv.reader(fh)) - 1)
    return f"✓ 已导出 {rows} 条待解决问题（{Path(path).name}，{time.strftime('%H:%M')}），请在浏览器的下载列表中查看。"
