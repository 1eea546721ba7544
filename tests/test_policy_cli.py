"""`python -m assistant items` and `python -m assistant match` as real
processes against a real index of the shipped corpus."""
import json
import subprocess
import sys

from conftest import ROOT

REQUIRED = {"id", "title", "source", "section", "quote", "conditions", "benefit", "responsible_unit", "doc_date",
            "incomplete", "status", "superseded_by"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_items_lists_every_item_with_the_issue_fields(index_settings):
    done = run("items", "--index", str(index_settings.index_dir), "--json")
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert all(REQUIRED <= set(i) for i in items)
    assert {i["status"] for i in items} == {"current", "superseded"}
    old = next(i for i in items if "每增100万元奖励1000元" in i["quote"])
    assert old["superseded_by"]["title"] == "2025年慈溪市推进产业高质量发展的政策意见"
    current = json.loads(run("items", "--index", str(index_settings.index_dir), "--current", "--json").stdout)
    assert current and all(i["status"] == "current" for i in current) and len(current) < len(items)
    plain = run("items", "--index", str(index_settings.index_dir), "--current")
    assert "[现行] 加大数字经济制造业培育力度" in plain.stdout and "责任单位：市经信局" in plain.stdout


def test_match_groups_items_with_conditions_and_estimates(index_settings, tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"industry": "数字经济制造业", "above_scale": True, "revenue_wan": 20000,
                                   "revenue_growth_pct": 12, "prev_growth_pct": 8}, ensure_ascii=False), "utf-8")
    done = run("match", str(profile), "--index", str(index_settings.index_dir), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"profile", "match", "maybe", "no"}
    fit = report["match"][0]
    assert fit["estimate_yuan"] == 10500 and fit["arithmetic"] == "增量 2143万元 → 21 × 500元 = 10,500元（上限30万元）"
    assert all(c["status"] in ("met", "not_met", "unknown") and c["text"] for r in report["no"] for c in r["conditions"])
    plain = run("match", str(profile), "--index", str(index_settings.index_dir))
    assert "== 符合（1 条）" in plain.stdout and "✓ 满足 当年度营收增速达到10%以上" in plain.stdout


def test_a_bad_profile_is_refused_field_by_field(index_settings, tmp_path):
    profile = tmp_path / "bad.json"
    profile.write_text('{"revenue_wan": "很多", "revenue_growth_pct": 1000}', "utf-8")
    done = run("match", str(profile), "--index", str(index_settings.index_dir))
    assert done.returncode == 2 and done.stdout == ""
    assert "当年度营业收入（revenue_wan）：请填写数字" in done.stderr
    assert "当年度营收增速（revenue_growth_pct）：增速 1000% 超出合理范围" in done.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{", "utf-8")
    assert "不是有效的 JSON" in run("match", str(broken), "--index", str(index_settings.index_dir)).stderr


def test_an_index_without_items_says_what_to_do(tmp_path):
    done = run("items", "--index", str(tmp_path / "nothing"))
    assert done.returncode == 2 and "请先运行 python ingest.py" in done.stderr
