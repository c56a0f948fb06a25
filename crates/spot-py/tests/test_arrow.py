"""Arrow in and out through the PyCapsule interface, without copies."""

import pyarrow as pa
import pytest

import spot
from spot import _spot


def addresses(table: pa.Table, column: str):
    # Empty buffers have no memory to share (Rust hands out an aligned dangling pointer).
    return [b.address for chunk in table[column].chunks for b in chunk.buffers() if b is not None and b.size > 0]


def test_roundtrip_shares_buffers(day):
    out = pa.table(_spot._roundtrip(day.flows))
    assert out.equals(day.flows)
    for name in ["sip", "ibyt", "treceived", "attack"]:
        assert addresses(out, name) == addresses(day.flows, name)


def test_flow_words_passes_input_columns_through_without_copy(day):
    # The hot path of word creation: the input's buffers come back as they went in.
    words = spot.flow_words(day.flows)
    for name in day.flows.column_names:
        assert addresses(words, name) == addresses(day.flows, name), name


def test_record_batch_via_arrow_c_array(day):
    batch = day.flows.slice(0, 10).combine_chunks().to_batches()[0]
    assert hasattr(batch, "__arrow_c_array__")
    out = pa.table(_spot._roundtrip(batch))
    assert out.num_rows == 10
    assert addresses(out, "sip") == [b.address for b in batch.column(batch.schema.get_field_index("sip")).buffers() if b is not None]


def test_record_batch_reader(day):
    reader = pa.RecordBatchReader.from_batches(day.flows.schema, day.flows.to_batches())
    assert spot.flow_words(reader).num_rows == day.flows.num_rows


def test_polars(day, model):
    pl = pytest.importorskip("polars")
    df = pl.from_arrow(day.flows)
    out = model.score(df, max_results=20)
    expected = model.score(day.flows, max_results=20)
    assert out["id"].to_pylist() == expected["id"].to_pylist()
    assert out["score"].to_pylist() == expected["score"].to_pylist()
    assert isinstance(pl.from_arrow(out), pl.DataFrame)


def test_pandas(day, model):
    pytest.importorskip("pandas")
    df = day.flows.to_pandas()
    out = model.score(df, max_results=20)
    expected = model.score(day.flows, max_results=20)
    assert out["id"].to_pylist() == expected["id"].to_pylist()
    assert out["score"].to_pylist() == expected["score"].to_pylist()
    assert len(out.to_pandas()) == 20


def test_large_string_input(day, model):
    # Spark and polars hand over large_string columns; words are the same.
    large = day.flows.cast(pa.schema([
        pa.field(f.name, pa.large_string()) if f.type == pa.string() else f for f in day.flows.schema
    ]))
    assert spot.flow_words(large)["src_word"].equals(spot.flow_words(day.flows)["src_word"])


def test_dns_and_proxy_words_pass_columns_through_without_copy():
    import os

    data = os.path.join(os.path.dirname(__file__), "data")
    dns = spot.read_dns(os.path.join(data, "dns-400.pcap"))
    words = spot.dns_words(dns)
    proxy = spot.read_proxy(os.path.join(data, "squid-access.log"))
    pwords = spot.proxy_words(proxy)
    for table, out in [(dns, words), (proxy, pwords)]:
        for name in table.column_names:
            assert addresses(out, name) == addresses(table, name), name
