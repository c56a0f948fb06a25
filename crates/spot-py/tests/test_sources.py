"""DNS and proxy records, model files, engines and the combined ranking."""

import os
import pickle
import shutil
import warnings

import pyarrow as pa
import pytest

import spot

DATA = os.path.join(os.path.dirname(__file__), "data")
PCAP = os.path.join(DATA, "dns-400.pcap")
SQUID = os.path.join(DATA, "squid-access.log")
ZEEK = os.path.join(DATA, "zeek-http.log")
NFCAPD = os.path.join(DATA, "nfcapd-lz4")

DNS_COLUMNS = [
    "frame_time", "unix_tstamp", "frame_len", "ip_dst", "dns_qry_name", "dns_qry_class",
    "dns_qry_type", "dns_qry_rcode",
]


@pytest.fixture(scope="module")
def dns():
    return spot.read_dns(PCAP)


@pytest.fixture(scope="module")
def proxy():
    return spot.read_proxy(SQUID)


def test_read_dns_responses_and_queries(dns):
    assert dns.num_rows > 0
    assert set(DNS_COLUMNS) <= set(dns.column_names)
    table, stats = spot.read_dns(PCAP, queries=True, with_stats=True)
    assert stats["packets"] == 400
    assert stats["rows"] == table.num_rows > dns.num_rows
    assert stats["damaged"] == []


def test_read_dns_damaged_capture_warns_or_raises(tmp_path):
    data = open(PCAP, "rb").read()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) // 2 + 7])
    with pytest.warns(UserWarning, match="damaged"):
        kept = spot.read_dns(cut)
    assert kept.num_rows > 0
    with pytest.raises(spot.DecodeError) as e:
        spot.read_dns(cut, strict=True)
    assert e.value.path == str(cut)
    assert e.value.offset is not None and e.value.offset > 0
    assert e.value.frame is not None and e.value.frame > 0
    with pytest.raises(spot.DecodeError):
        spot.read_dns(tmp_path / "missing.pcap")


def test_dns_words_and_top_domains(dns):
    w = spot.dns_words(dns)
    assert w.column_names == dns.column_names + ["word", "invalid_reason"]
    valid = w.filter(pa.compute.is_null(w["invalid_reason"]))
    row = valid.slice(0, 1).to_pylist()[0]
    assert row["word"].split("_")[0] == "0"
    # The same query's domain as a top domain makes its word class 1.
    labels = row["dns_qry_name"].split(".")
    domain = ".".join(labels[-2:])
    top = spot.dns_words(dns.slice(0, 50), top_domains=[domain])
    words = {r["dns_qry_name"]: r["word"] for r in top.to_pylist() if r["word"]}
    assert words[row["dns_qry_name"]].startswith("1_")


def test_dns_model_fit_score_save_load(dns, tmp_path):
    model = spot.DnsModel(topics=4, iterations=10).fit(dns)
    assert model.source == "dns"
    assert repr(model).startswith("DnsModel(topics=4")
    out = model.score(dns, max_results=20)
    assert out.column_names == dns.column_names + ["score"]
    assert out.num_rows == min(20, model.summary.scored)
    path = tmp_path / "dns.model"
    model.save(path)
    back = spot.load_model(path, source="dns")
    assert isinstance(back, spot.DnsModel)
    assert back.score(dns, max_results=20).equals(out)
    assert pickle.loads(pickle.dumps(model)).score(dns, max_results=20).equals(out)
    with pytest.raises(ValueError, match="flows only"):
        model.score(dns, mode="combined")


def test_dns_feedback(dns, tmp_path):
    r = spot.dns_words(dns).filter(pa.compute.is_null(pa.table(spot.dns_words(dns))["invalid_reason"])).slice(0, 1).to_pylist()[0]
    fields = [r["frame_time"], str(r["frame_len"]), r["ip_dst"], r["dns_qry_name"], str(r["dns_qry_class"]),
              str(r["dns_qry_type"]), str(r["dns_qry_rcode"]), "0.001", "", "", "", "0", "3", "", "", "", "",
              str(r["unix_tstamp"])]
    fb = tmp_path / "dns_scores.csv"
    fb.write_text("header\n" + "\t".join(fields) + "\n" + "\t".join(fields[:12] + ["1"] + fields[13:]) + "\n")
    table = spot.read_dns_feedback(fb)
    assert table.num_rows == 1  # the low-risk row only
    assert table["ip_dst"][0].as_py() == r["ip_dst"]
    model = spot.DnsModel(topics=3, iterations=5).fit(dns, feedback=fb, dupfactor=10)
    assert model.summary.feedback_rows == 1
    (tmp_path / "bad.csv").write_text("header\nonly\tthree\tfields\n")
    with pytest.raises(spot.FeatureError) as e:
        spot.read_dns_feedback(tmp_path / "bad.csv")
    assert e.value.line == 2


def test_read_proxy_formats(proxy, tmp_path):
    assert proxy.num_rows == 300
    for name in ["p_date", "p_time", "clientip", "host", "reqmethod", "useragent", "respcode", "fulluri"]:
        assert name in proxy.column_names
    zeek, stats = spot.read_proxy(ZEEK, with_stats=True)
    assert zeek.num_rows > 0 and stats["files"] == 1
    both = spot.read_proxy([SQUID, ZEEK])
    assert both.num_rows == proxy.num_rows + zeek.num_rows
    with pytest.raises(ValueError):
        spot.read_proxy(SQUID, format="bogus")
    bad = tmp_path / "access.log"
    lines = open(SQUID).read().splitlines()
    bad.write_text("\n".join(lines[:3] + ['1795599606.790 0 127.0.0.1 "unbalanced'] + lines[3:6]) + "\n")
    kept, stats = spot.read_proxy(bad, format="squid", with_stats=True)
    assert kept.num_rows == 6
    assert sum(stats["skipped"].values()) == 1
    assert stats["errors"][0][1] == 4
    with pytest.raises(spot.DecodeError) as e:
        spot.read_proxy(bad, format="squid", strict=True)
    assert e.value.line == 4 and e.value.path == str(bad)


def test_proxy_words_model_and_feedback(proxy, tmp_path):
    w = spot.proxy_words(proxy)
    assert w.column_names == proxy.column_names + ["word", "invalid_reason"]
    model = spot.ProxyModel(topics=3, iterations=10, user_domain="example").fit(proxy)
    out = model.score(proxy, max_results=10)
    assert out.column_names == proxy.column_names + ["word", "score"]
    assert out["score"].to_pylist() == sorted(out["score"].to_pylist())
    r = proxy.slice(0, 1).to_pylist()[0]
    f = [""] * 23
    f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[11], f[18], f[22] = (
        r["p_date"], r["p_time"], r["clientip"], r["host"], r["reqmethod"], r["useragent"] or "-",
        r["resconttype"] or "-", r["respcode"] or "-", r["fulluri"], "3",
    )
    fb = tmp_path / "proxy_scores.tsv"
    fb.write_text("\t".join(f) + "\n")
    assert spot.read_proxy_feedback(fb)["sev"].to_pylist() == [3]
    m = spot.ProxyModel(topics=3, iterations=5).fit(proxy, feedback=fb, dupfactor=5)
    assert m.summary.feedback_rows == 1
    with pytest.raises(ValueError, match="fit"):
        spot.ProxyModel().fit_counts(spot.word_counts(proxy, source="proxy"), feedback=fb)


def test_word_counts_of_every_source(dns, proxy):
    for source, data, model in [("dns", dns, spot.DnsModel), ("proxy", proxy, spot.ProxyModel)]:
        counts = spot.word_counts(data, source=source)
        assert counts.column_names == ["doc", "word", "count"]
        a = model(topics=3, iterations=5).fit_counts(counts)
        b = model(topics=3, iterations=5).fit(data)
        assert a.topics().equals(b.topics()), source
    with pytest.raises(ValueError, match="source"):
        spot.word_counts(dns, source="smtp")


def test_word_columns_are_enough(day, dns, proxy):
    # The words of a table cut down to word_columns() are the words of the whole table.
    for source, data in [("flow", day.flows), ("dns", dns), ("proxy", proxy)]:
        need = spot.word_columns(source)
        assert set(need) <= set(data.column_names), source
        narrow = spot.word_counts(data.select(need), source=source)
        assert narrow.equals(spot.word_counts(data, source=source)), source
    with pytest.raises(ValueError, match="source"):
        spot.word_columns("smtp")


def test_read_flows_nfcapd():
    flows = spot.read_flows(NFCAPD)
    assert flows.num_rows > 0
    assert "sip" in flows.column_names


def test_optimizers(day):
    for optimizer, alpha, beta in [("online", 1.02, 1.001), ("gibbs", 0.5, 0.1)]:
        a = spot.FlowModel(topics=4, iterations=5, alpha=alpha, beta=beta, optimizer=optimizer).fit(day.flows)
        b = spot.FlowModel(topics=4, iterations=5, alpha=alpha, beta=beta, optimizer=optimizer).fit(day.flows)
        assert a.config["optimizer"] == optimizer
        assert a.topics().equals(b.topics()), optimizer
        assert f'optimizer="{optimizer}"' in repr(a)
    with pytest.raises(ValueError, match="optimizer"):
        spot.FlowModel(optimizer="bogus")
    with pytest.raises(spot.ModelError):
        spot.FlowModel(alpha=0.5, optimizer="em").fit(day.flows)
    t = spot.FlowModel(topics=4, iterations=50, tolerance=0.5).fit(day.flows)
    assert t.config["tolerance"] == 0.5


def test_save_load_and_errors(day, model, tmp_path):
    path = tmp_path / "flow.model"
    model.save(path)
    back = spot.load_model(path)
    assert isinstance(back, spot.FlowModel)
    assert back.config == model.config
    assert back.doc_topics().equals(model.doc_topics())
    assert spot.FlowModel.load(str(path)).score(day.flows, max_results=30).equals(model.score(day.flows, max_results=30))
    with pytest.raises(spot.ModelError, match="not fitted"):
        spot.FlowModel().save(tmp_path / "x.model")
    (tmp_path / "text.model").write_text("not a model at all")
    with pytest.raises(spot.ModelError) as e:
        spot.load_model(tmp_path / "text.model")
    assert e.value.path == str(tmp_path / "text.model")
    raw = path.read_bytes()
    (tmp_path / "short.model").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(spot.ModelError) as e:
        spot.load_model(tmp_path / "short.model")
    assert e.value.offset is not None
    with pytest.raises(ValueError):
        spot.load_model(path, source="smtp")


def test_warm_start_and_fold_in(day, model):
    warm = spot.FlowModel(topics=5, iterations=3).fit(day.flows, init=model)
    assert warm.shape == model.shape
    with pytest.raises(spot.ModelError, match="not fitted"):
        spot.FlowModel(topics=5).fit(day.flows, init=spot.FlowModel(topics=5))
    half = day.flows.slice(0, day.flows.num_rows // 4)
    small = spot.FlowModel(topics=5, iterations=5).fit(half)
    before = small.shape[0]
    added = small.fold_in(day.flows)
    assert added > 0 and small.shape[0] == before + added


def test_combined_mode(day, model):
    top = model.score(day.flows, max_results=50, mode="combined")
    for name in ["rank", "spot_score", "signals", "reason", "score"]:
        assert name in top.column_names
    assert top["rank"].to_pylist() == list(range(1, 51))
    # The injected attacks rank at the top, as in the CLI's default mode.
    kinds = {k for k in top["attack"].to_pylist() if k}
    assert len(kinds) >= 3
    with pytest.raises(ValueError, match="mode"):
        model.score(day.flows, mode="bogus")


def test_evaluate(day, model):
    top = model.score(day.flows, max_results=200, mode="combined")
    e = spot.evaluate(day.flows, top)
    assert e["records"] == day.flows.num_rows
    assert e["attack_records"] == sum(day.attacks["records"].to_pylist())
    assert e["ranked"] == 200
    assert 0 < e["average_precision"] <= 1
    assert set(e["kinds"]) == set(day.attacks["kind"].to_pylist())
    assert all(k["best_rank"] is not None for k in e["kinds"].values())
    assert e["kinds_within"][0.05] == 5
    with pytest.raises(ValueError, match="row_id"):
        spot.evaluate(day.flows, top, id="row_id")
