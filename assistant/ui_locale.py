"""Chinese for everything Gradio itself shows, on both pages and the login page.

* Gradio's frontend takes its language from the browser and falls back to
  English for any browser not set to exactly zh-CN (en-US, zh-Hans, zh-SG…).
  Users here read Chinese, so every Gradio page gets a first script
  (``ChineseLocale`` puts it at the top of the HTML) that makes the browser
  report zh-CN before Gradio starts.
* Gradio's own zh-CN strings lack a few keys (the queue position, some
  buttons); ``I18N`` adds them through gr.I18n.
* A few labels are English in Gradio's components whatever the language
  ("chatbot conversation", "Copy table data"), and so are the words of its
  progress boxes ("queue: 1/2", "processing"); the same script translates
  them as they appear (``ENGLISH``, ``STATUS_WORDS``).
* After a refused login Gradio's page says only 凭据不正确. The script asks
  ``<page>/login_status`` (accounts.AgentLogin.status_route) why and shows it
  in that place: the attempts left, or which lock was hit and for how long.
"""
from __future__ import annotations

import json
import re

import gradio as gr

# Keys Gradio's zh-CN translation lacks (it falls back to English for them).
I18N = gr.I18n(**{"zh-CN": {
    "chatbot.complete": "完成", "chatbot.copy_message": "复制消息", "chatbot.copied_message": "已复制",
    "chat_interface.new_chat": "新对话", "chat_interface.message_placeholder": "请输入…",
    "chat_interface.additional_inputs": "更多输入", "chat_interface.chatbot": "对话",
    "chat_interface.conversation": "对话",
    "common.complete": "完成", "common.upload": "上传", "common.download_all": "全部下载", "common.runs": "运行记录", "common.runs_description": "查看本浏览器保存的运行记录",
    "common.back_to_app": "返回", "common.back_to_app_description": "返回应用", "common.progress": "进度",
    "common.record": "录制", "common.stop_recording": "停止录制", "common.screen_studio": "录屏",
    "common.share_gradio_tab": "分享", "common.run": "运行",
    "dataframe.filter": "筛选", "dataframe.clear_filter": "清除筛选", "dataframe.import_empty_file": "拖入的文件是空的。",
    "dataframe.import_no_column_names": "拖入的文件没有列名。",
    "status.queue_position": "排队中：第 {position} 位，共 {size} 位",
}})

# Labels Gradio's components write in English whatever the language.
ENGLISH = {
    "chatbot conversation": "对话记录",
    "Gradio footer navigation": "页脚",
    "More tabs": "更多标签页",
    "Click to upload or drop files": "点击上传或拖入文件",
    "File upload": "上传文件",
    "Table actions": "表格操作",
    "Copy table data": "复制表格",
    "Copied to clipboard": "已复制",
    "Fullscreen": "全屏",
    "Exit fullscreen mode": "退出全屏",
    "Exit fullscreen": "退出全屏",
    "Dataframe": "表格",
    "Open cell menu": "单元格菜单",
    "Scroll down": "滚动到最新",
    "Stop Recording": "停止录制",
    "logo": "标志",
    "Clear": "清除",
    "Like": "赞",
    "Dislike": "踩",
    "Liked": "已赞",
    "Disliked": "已踩",
    "Copy": "复制",
    "Copied": "已复制",
    "Remove": "移除",
    "Download": "下载",
    "Loading...": "加载中…",
    "Sort ascending": "升序",
    "Sort descending": "降序",
    "Clear sort": "清除排序",
    "Static column": "不可编辑的列",
}
# aria-labels that start with English and go on with a message's HTML.
PREFIXES = {"user's message: ": "用户的问题：", "bot's message: ": "助手的回答："}
# Words of Gradio's progress and error boxes (inside these only, never in answers).
STATUS_BOXES = '[data-testid="status-tracker"], [data-testid="toast-body"]'
STATUS_WORDS = [
    ["^queue:", "排队："], ["^processing", "处理中"], ["^(\\d+(?:\\.\\d+)?)s$", "$1 秒"],
    ["^Loading\\.*$", "加载中…"], ["^from cache$", "来自缓存"], ["^used cache$", "使用缓存"], ["^An error occurred\\.?$", "出错了。"],
]

_SCRIPT = """(() => {
  // Gradio picks its language from the browser; this app speaks Chinese to everyone.
  for (const [name, value] of [["language", "zh-CN"], ["languages", Object.freeze(["zh-CN", "zh"])]]) {
    try { Object.defineProperty(Navigator.prototype, name, {get: () => value, configurable: true}); } catch (e) {}
  }
  const WORDS = __WORDS__, PREFIXES = __PREFIXES__, ATTRS = ["aria-label", "title", "placeholder", "alt"];
  const plain = (html) => new DOMParser().parseFromString(html, "text/html").body.textContent.replace(/\\s+/g, " ").trim();
  const fix = (el) => {
    for (const attr of ATTRS) {
      const value = el.getAttribute(attr);
      if (!value) continue;
      let shown = WORDS[value.trim()];
      for (const [english, chinese] of Object.entries(PREFIXES)) {
        if (value.startsWith(english)) shown = chinese + plain(value.slice(english.length));
      }
      if (shown && shown !== value) el.setAttribute(attr, shown);
    }
  };
  const STATUS = __STATUS__.map(([pattern, chinese]) => [new RegExp(pattern), chinese]);
  const fixText = (node) => {
    const parent = node.parentElement;
    if (!parent || !parent.closest(__BOXES__)) return;
    let text = node.nodeValue.trim(), shown = text;
    for (const [pattern, chinese] of STATUS) shown = shown.replace(pattern, chinese);
    if (shown !== text) node.nodeValue = shown;
  };
  const sweep = (node) => {
    if (node.nodeType === 3) return fixText(node);
    if (node.nodeType !== 1) return;
    fix(node);
    node.querySelectorAll("[aria-label],[title],[placeholder],[alt]").forEach(fix);
    if (node.closest(__BOXES__) || node.querySelector(__BOXES__)) {
      const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
      for (let text; (text = walker.nextNode());) fixText(text);
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") fix(r.target);
      else if (r.type === "characterData") fixText(r.target);
      else r.addedNodes.forEach(sweep);
    }
  }).observe(document.documentElement,
             {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRS});

  // After a refused login, say why where Gradio says 凭据不正确.
  const realFetch = window.fetch;
  const showReason = async (url, name) => {
    const response = await realFetch(url + "?username=" + encodeURIComponent(name));
    if (!response.ok) return;
    const {message} = await response.json();
    for (let i = 0; i < 60; i++) {
      const place = document.querySelector("p.creds");
      if (place) { place.textContent = message; place.id = "login-reason"; return; }
      await new Promise((done) => setTimeout(done, 50));
    }
  };
  window.fetch = async function (input, init) {
    const response = await realFetch.apply(this, arguments);
    try {
      const url = new URL(typeof input === "string" ? input : input.url, location.href);
      if (response.status === 400 && init && init.method === "POST" && /\\/login\\/?$/.test(url.pathname)
          && init.body instanceof FormData) {
        showReason(url.pathname.replace(/\\/login\\/?$/, "/login_status"), init.body.get("username") || "");
      }
    } catch (e) {}
    return response;
  };
})();"""
SCRIPT = (_SCRIPT.replace("__WORDS__", json.dumps(ENGLISH, ensure_ascii=False))
          .replace("__PREFIXES__", json.dumps(PREFIXES, ensure_ascii=False))
          .replace("__STATUS__", json.dumps(STATUS_WORDS, ensure_ascii=False))
          .replace("__BOXES__", json.dumps(STATUS_BOXES)))
_TAG = f"<script>{SCRIPT}</script>".encode()
_HTML_LANG = re.compile(rb'<html(\s[^>]*?)?\slang="en"')


class ChineseLocale:
    """ASGI middleware: Gradio's HTML pages get ``SCRIPT`` first in <head>
    and lang="zh-CN". Pages are asked for uncompressed (Gradio compresses
    otherwise); every other request and response passes through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or not _wants_page(scope):
            return await self.app(scope, receive, send)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        start: dict = {}
        parts: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
                if not _is_html(message):
                    await send(message)
                return
            if message["type"] != "http.response.body" or not _is_html(start):
                return await send(message)
            parts.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = _localised(b"".join(parts))
            raw = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            await send({**start, "headers": [*raw, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app({**scope, "headers": headers}, receive, capture)


def _wants_page(scope) -> bool:
    """A browser opening a page (API calls, assets and streams are left alone)."""
    accept = next((v for k, v in scope["headers"] if k.lower() == b"accept"), b"")
    return b"text/html" in accept and "." not in scope["path"].rsplit("/", 1)[-1]


def _is_html(start: dict) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in start.get("headers", []))


def _localised(body: bytes) -> bytes:
    if b"window.gradio_config" not in body:  # not a Gradio page (e.g. /source)
        return body
    body = _HTML_LANG.sub(lambda m: m.group(0).replace(b'lang="en"', b'lang="zh-CN"'), body, count=1)
    return body.replace(b"<head>", b"<head>" + _TAG, 1)

