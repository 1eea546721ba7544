from conftest import CORPUS, SEED

from assistant.metadata import build_meta, infer_doc_type, infer_meta, split_front_matter


def _meta(name):
    front, body = split_front_matter((CORPUS / name).read_text("utf-8"))
    return front, body, build_meta(front, body)


def test_seed_reply_metadata_is_inferred_from_text():
    front, _, meta = _meta(SEED)
    assert front == {}
    assert meta.title == "对市十八届人大一次会议第190号建议的答复"
    assert meta.issuer == "慈溪市科学技术局"
    assert meta.date == "2022-06-22"
    assert meta.doc_type == "建议答复"
    assert meta.year == 2022
    assert meta.inferred and not meta.is_excerpt


def test_front_matter_wins_and_body_excludes_it():
    front, body, meta = _meta("04_cixi_zfb_2025-09-16_2025_chanye_gaozhiliang_zhengce_yijian.txt")
    assert front["issuer"] == "慈溪市人民政府办公室"
    assert not body.startswith("---") and "title:" not in body
    assert meta.date == "2025-09-16"
    assert meta.doc_number == "慈政办发〔2025〕20号"
    assert meta.doc_type == "政策文件"
    assert meta.is_excerpt and not meta.inferred


def test_every_corpus_file_gets_title_issuer_and_date():
    for path in sorted(CORPUS.iterdir()):
        _, _, meta = _meta(path.name)
        assert meta.title and meta.issuer and meta.date[:4].isdigit(), path.name


def test_signature_and_number_inference_on_unmarked_notice():
    body = (
        "关于组织开展2025年度科技项目申报的通知\n"
        "慈科〔2025〕12号\n"
        "各有关单位：\n现将有关事项通知如下。\n一、申报时间\n截止2025年5月8日。\n"
        "慈溪市科学技术局\n2025年4月9日\n"
    )
    meta = infer_meta(body)
    assert meta.title == "关于组织开展2025年度科技项目申报的通知"
    assert meta.doc_number == "慈科〔2025〕12号"
    assert (meta.issuer, meta.date) == ("慈溪市科学技术局", "2025-04-09")
    assert meta.doc_type == "通知公告"


def test_the_registration_code_is_read_from_its_own_line_only():
    assert infer_meta("通知\n索引号\nBCXD01-2025-0003\n正文。\n").code == "BCXD01-2025-0003"
    assert infer_meta("通知\nBCXD01—2024—0008\n").code == "BCXD01—2024—0008"  # em dashes as printed
    assert infer_meta("通知\n编号为BCXD01-2025-0003的文件废止。\n").code == ""  # cited in a sentence: not its own
    assert infer_meta("通知\n12330282688011591A/2025-193062\n").code == ""  # an index number is no code
    front = {"title": "政策意见", "issuer": "慈溪市人民政府办公室", "date": "2025-09-16"}
    assert build_meta(front, "正文\nBCXD01-2025-0003\n").code == "BCXD01-2025-0003"


def test_the_publication_date_is_read_from_the_information_block():
    assert infer_meta("通知\n发布日期:\n\n2024-11-25\n成文日期:\n2024-11-08\n").published == "2024-11-25"
    assert infer_meta("通知\n发布日期:2025-4-9 16:08 信息来源:市科技局\n").published == "2025-04-09"
    assert infer_meta("通知\n发布日期：2023-01-18\n").published == "2023-01-18"  # full-width colon
    assert infer_meta("通知\n成文日期:\n2024-11-08\n").published == ""  # the other date is not it
    assert infer_meta("通知\n请于发布日期后五日内申报。\n").published == ""  # a sentence, not the label
    # a block copied without its labels: 索引号, 发布机构, …, 发布日期, 成文日期
    block = "113302820029365B/2025-188639\n市科技局\n主动公开\n通知公告\n科技\n2025-04-30\n2025-04-29\n面向社会\n"
    assert infer_meta(block).published == "2025-04-30"
    assert infer_meta("通知\n2025-04-30\n").published == ""  # a date alone is not the block's
    front = {"title": "办法", "date": "2024-11-08", "date_note": "2024-11-08(成文);2024-11-25(发布)"}
    assert build_meta(front, "正文\n").published == ""  # the editorial note is never read


def test_numbers_quoted_in_sentences_are_not_the_documents_own():
    body = "公示\n根据《关于印发政策的通知》（慈政办发〔2022〕38号）精神，现予公示。\n"
    assert infer_meta(body).doc_number == ""


def test_doc_type_from_title_words():
    assert infer_doc_type("关于印发慈溪市产业创新平台管理暂行办法的通知") == "政策文件"
    assert infer_doc_type("2022年慈溪市政府工作报告") == "工作报告"
    assert infer_doc_type("慈溪市科学技术局2025年工作要点") == "工作计划"
    assert infer_doc_type("关于组织开展企业创新联合体补充申报的通知") == "通知公告"
    assert infer_doc_type("某某") == "其他"


def test_broken_front_matter_keeps_the_text():
    raw = "---\ntitle: [unclosed\n---\n正文内容。\n"
    front, body = split_front_matter(raw)
    assert front == {} and "正文内容" in body


def test_a_title_may_hold_a_comma_in_brackets_but_a_sentence_is_no_title():
    bracketed = "关于开展海燕创新券试点的通知（试行，测试用）\n\n一、试点对象\n企业可以申领。"
    assert build_meta({}, bracketed).title == "关于开展海燕创新券试点的通知（试行，测试用）"
    sentence = "为推进创新，现将有关事项通知如下\n\n一、试点对象"
    assert build_meta({}, sentence).title == ""
