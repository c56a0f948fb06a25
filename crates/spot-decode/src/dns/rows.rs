//! Where the rows of a capture pass go, as ripgrep's searcher hands matches to a `Sink`:
//! [`ArrowRows`] fills the column builders of the reader's record batches, [`CsvRows`] writes
//! each row straight as CSV text, byte for byte what the CSV writer makes of those batches,
//! without building them first. Both take the same parsed fields ([`MsgFields`], [`Origin`])
//! and format times and addresses with the same routines.

use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, ArrowPrimitiveType, NullBufferBuilder, PrimitiveArray, RecordBatch, StringArray,
};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::Schema;
use arrow::datatypes::{Int32Type, Int64Type};
use arrow::error::ArrowError;
use chrono::DateTime;

use super::message::{Header, NAME_ROOM, RDataRef, RecordRef, Section, Visitor};
use super::reader::dns_capture_schema;
use crate::capture::Packet;
use crate::csv_writer;
use crate::ip_text::{HEX, ipv4_word, ipv6_text};

/// Where a DNS message came from.
pub(super) struct Origin<'p> {
    pub pkt: &'p Packet<'p>,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    /// Over TCP (else UDP).
    pub tcp: bool,
}

impl Origin<'_> {
    /// `udp` or `tcp`.
    pub fn transport(&self) -> &'static str {
        if self.tcp { "tcp" } else { "udp" }
    }
}

/// What one message contributes to its row; buffers are reused from message to message.
#[derive(Default)]
pub(super) struct MsgFields {
    has_question: bool,
    qtype: u16,
    qclass: u16,
    a: Vec<Ipv4Addr>,
    aaaa: Vec<Ipv6Addr>,
    /// CNAME targets joined by `|` (ASCII).
    cname: Vec<u8>,
    min_ttl: Option<u32>,
}

impl MsgFields {
    pub(super) fn clear(&mut self) {
        self.has_question = false;
        self.a.clear();
        self.aaaa.clear();
        self.cname.clear();
        self.min_ttl = None;
    }
}

impl Visitor for MsgFields {
    // Rows keep the question name and CNAME targets only.
    const ALL_NAMES: bool = false;
    // Rows show A, AAAA and CNAME data only: other records are checked for their framing.
    const ALL_DATA: bool = false;

    // The first question's name is taken from the parser (`Parser::first_question_name`).
    #[inline(always)]
    fn question(&mut self, _name: &str, qtype: u16, qclass: u16) {
        if !self.has_question {
            self.has_question = true;
            self.qtype = qtype;
            self.qclass = qclass;
        }
    }

    #[inline(always)]
    fn record(&mut self, section: Section, r: &RecordRef<'_>) {
        if section == Section::Answer {
            self.min_ttl = Some(self.min_ttl.map_or(r.ttl, |t| t.min(r.ttl)));
        }
        // Like tshark's dns.a / dns.aaaa / dns.cname: records of every section.
        match r.data {
            RDataRef::A(x) => self.a.push(x),
            RDataRef::Aaaa(x) => self.aaaa.push(x),
            RDataRef::Cname(x) => {
                // Separated by `|`, as tshark's aggregator in the reference files.
                if !self.cname.is_empty() {
                    self.cname.push(b'|');
                }
                self.cname.extend_from_slice(x.as_bytes());
            }
            _ => {}
        }
    }
}

/// Receives the rows of a pass and hands them out in chunks.
pub(super) trait RowSink {
    /// A chunk of rows: a record batch, or CSV text.
    type Out;
    /// A sink sized for `rows` rows per chunk.
    fn with_capacity(rows: usize) -> Self;
    /// Rows held.
    fn len(&self) -> usize;
    /// Whether the chunk should be handed out before the next row.
    fn is_full(&self, batch_size: usize) -> bool;
    /// Adds the row of one message, whose first question's name (if `m` says it has one) is
    /// `qname` (`Parser::first_question_name`).
    #[allow(clippy::ptr_arg)] // The `Vec`'s capacity is what makes the name's block copy sound.
    fn push(&mut self, o: &Origin<'_>, header: &Header, m: &MsgFields, qname: &Vec<u8>);
    /// Hands out the rows held (at least one) and starts a new chunk.
    fn finish(&mut self) -> Result<Self::Out, ArrowError>;
    /// Hands out a batch read by another reader (Zeek's `dns.log`) in this sink's form.
    fn convert(&mut self, batch: RecordBatch) -> Result<Self::Out, ArrowError>;
}

/// Past this many bytes in one string column a batch is handed out early, far from the 2 GiB
/// that 32-bit offsets can address (one row adds at most a few MiB).
const MAX_COLUMN_BYTES: usize = 1 << 30;

/// A CSV chunk is handed out past this size, so that it stays in the cache until written.
const CSV_CHUNK_BYTES: usize = 1 << 20;

/// Two decimal digits for every value below 100.
const DIGITS2: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

fn two_digits(v: u32) -> [u8; 2] {
    let i = (v % 100) as usize * 2;
    [DIGITS2[i], DIGITS2[i + 1]]
}

/// A short text kept twice: in a vector, and in a fixed-size array that is copied whole into
/// rows when the text fits in it (stores, no call to `memcpy`), before the row's length moves
/// past the text only.
#[derive(Debug, Default)]
struct Head {
    bytes: Vec<u8>,
    fixed: [u8; 32],
}

impl Head {
    /// Replaces the text by what `build` writes into the emptied vector.
    fn set(&mut self, build: impl FnOnce(&mut Vec<u8>)) {
        self.bytes.clear();
        build(&mut self.bytes);
        if let Some(f) = self.fixed.get_mut(..self.bytes.len()) {
            f.copy_from_slice(&self.bytes);
        }
    }

    /// Rewrites the text's last two bytes (the caller knows it has two).
    fn set_last_two(&mut self, d: [u8; 2]) {
        let n = self.bytes.len();
        self.bytes[n - 2..].copy_from_slice(&d);
        if let Some(f) = self.fixed.get_mut(n - 2..n) {
            f.copy_from_slice(&d);
        }
    }

    /// Writes the text into a row.
    #[inline(always)]
    fn put(&self, row: &mut Row<'_>) {
        let n = self.bytes.len();
        if n <= self.fixed.len() {
            row.fixed(&self.fixed, n);
        } else {
            row.bytes(&self.bytes);
        }
    }
}

/// tshark's `frame.time` in UTC, `Nov 25, 2026 09:38:00.033394000 UTC`: the text up to the
/// seconds is formatted once per minute and its seconds rewritten once per second; only the
/// fraction is written for every row.
#[derive(Debug, Default)]
pub(super) struct FrameTime {
    /// `sec` of the cached text, if any.
    sec: Option<i64>,
    /// Whether the text was formatted from `sec` (not the fallback for times out of range).
    exact: bool,
    /// `Nov 25, 2026 09:38:00` (day of month space-padded to two characters, as tshark does).
    text: Head,
    /// The text as a CSV field begins: `"Nov 25, 2026 09:38:00` when the whole field needs
    /// quotes (the comma after the day: always, in practice), else as `text`.
    csv: Head,
    quoted: bool,
    /// `,SECONDS,`: the `unix_tstamp` CSV field that follows `frame_time`, with both
    /// separators, in its first `epoch_len` bytes.
    epoch: [u8; 24],
    epoch_len: usize,
}

impl FrameTime {
    /// Brings the cached text to second `sec`.
    fn at(&mut self, sec: i64) {
        if self.sec == Some(sec) {
            return;
        }
        let same_minute = self
            .sec
            .is_some_and(|s| s.div_euclid(60) == sec.div_euclid(60));
        if same_minute && self.exact && self.text.bytes.len() >= 2 && self.csv.bytes.len() >= 2 {
            // `%S` ends the text: two digits.
            let d = two_digits(sec.rem_euclid(60) as u32);
            self.text.set_last_two(d);
            self.csv.set_last_two(d);
        } else {
            let dt = DateTime::from_timestamp(sec, 0);
            self.exact = dt.is_some();
            let text = match dt {
                Some(dt) => dt.format("%b %e, %Y %H:%M:%S").to_string(),
                None => "Jan  1, 1970 00:00:00".to_string(),
            };
            self.text.set(|t| t.extend_from_slice(text.as_bytes()));
            let mut quoted = false;
            self.csv.set(|c| {
                csv_writer::field(c, text.as_bytes());
                quoted = c.first() == Some(&b'"');
                if quoted {
                    // The fraction and ` UTC` follow before the closing quote.
                    c.pop();
                }
            });
            self.quoted = quoted;
        }
        self.sec = Some(sec);
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(sec).as_bytes();
        // At most 20 characters (`i64::MIN`) between the two commas.
        self.epoch[0] = b',';
        self.epoch[1..1 + digits.len()].copy_from_slice(digits);
        self.epoch[1 + digits.len()] = b',';
        self.epoch_len = digits.len() + 2;
    }

    /// `.NNNNNNNNN UTC`: the fraction of the second and the zone, as the little-endian bytes
    /// of a register (see [`Row::word`]).
    fn tail_word(nsec: u32) -> u128 {
        let n = nsec.min(999_999_999);
        let r = n % 100_000_000;
        let mut w = b'.' as u128 | ((b'0' + (n / 100_000_000) as u8) as u128) << 8;
        for (i, p) in [r / 1_000_000, r / 10_000, r / 100, r]
            .into_iter()
            .enumerate()
        {
            w |= (u16::from_le_bytes(two_digits(p)) as u128) << (16 + 16 * i);
        }
        w | (u32::from_le_bytes(*b" UTC") as u128) << 80
    }

    /// `.NNNNNNNNN UTC`: the fraction of the second and the zone.
    fn tail(nsec: u32) -> [u8; 14] {
        let mut t = [0u8; 14];
        t.copy_from_slice(&Self::tail_word(nsec).to_le_bytes()[..14]);
        t
    }

    /// Appends the time as text.
    pub(super) fn push(&mut self, out: &mut Vec<u8>, sec: i64, nsec: u32) {
        self.at(sec);
        out.extend_from_slice(&self.text.bytes);
        out.extend_from_slice(&Self::tail(nsec));
    }

    /// Writes the time as text (as [`FrameTime::push`]).
    #[inline]
    fn put_text(&mut self, row: &mut Row<'_>, sec: i64, nsec: u32) {
        self.at(sec);
        self.text.put(row);
        row.word(Self::tail_word(nsec), 14);
    }

    /// Writes the time as a CSV field.
    fn put_csv(&mut self, row: &mut Row<'_>, sec: i64, nsec: u32) {
        self.at(sec);
        self.csv.put(row);
        row.word(Self::tail_word(nsec), 14);
        if self.quoted {
            row.byte(b'"');
        }
    }

    /// Writes `,SECONDS,` (the `unix_tstamp` field between its separators) for the second of
    /// the last [`FrameTime::put_csv`].
    fn put_epoch(&self, row: &mut Row<'_>) {
        row.fixed(&self.epoch, self.epoch_len);
    }
}

/// Room reserved at once for the fixed-width fields of a CSV row.
const ROW_ROOM: usize = 256;

/// A CSV row being written into the end of a buffer. Small fields are copied as fixed-size
/// arrays (no call to `memcpy` for a few bytes) into room reserved ahead, and the cursor then
/// moves past their actual length; [`Row::end`] makes the buffer end after the row. The room is
/// the vector's spare capacity, written without being zeroed first (zeroing it cost more than a
/// whole row of fixed-size copies).
struct Row<'a> {
    buf: &'a mut Vec<u8>,
    /// Where the next byte goes. Invariant: every byte of `buf`'s allocation below `at` has
    /// been written, so the length may be set to `at`.
    at: usize,
}

/// Writes `src` at the start of `dst` (as many bytes as both have).
#[inline(always)]
fn put(dst: &mut [MaybeUninit<u8>], src: &[u8]) {
    let n = dst.len().min(src.len());
    // SAFETY: both slices hold at least `n` bytes, and a `&mut` slice overlaps no other
    // borrow. (A loop of single-byte writes was compiled as such, byte by byte, even for
    // fixed sizes; this is one copy, of a constant size where the callers' sizes are.)
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast::<u8>(), n) }
}

impl<'a> Row<'a> {
    fn start(buf: &'a mut Vec<u8>) -> Self {
        buf.reserve(ROW_ROOM);
        Row { at: buf.len(), buf }
    }

    /// The next `n` bytes of room, made if needed.
    #[inline]
    fn room(&mut self, n: usize) -> &mut [MaybeUninit<u8>] {
        if self.at + n > self.buf.capacity() {
            self.grow(n);
        }
        let from = self.at - self.buf.len();
        &mut self.buf.spare_capacity_mut()[from..from + n]
    }

    #[cold]
    fn grow(&mut self, n: usize) {
        // Counted in the length first, so that the bytes written move with the allocation.
        // SAFETY: the bytes below `at` are written (the invariant of `at`).
        unsafe { self.buf.set_len(self.at) };
        self.buf.reserve(n + ROW_ROOM);
    }

    /// Writes the first `len` bytes of `v` (copying all of it).
    #[inline]
    fn fixed<const N: usize>(&mut self, v: &[u8; N], len: usize) {
        put(self.room(N), v);
        self.at += len.min(N);
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        self.room(1)[0].write(b);
        self.at += 1;
    }

    fn bytes(&mut self, v: &[u8]) {
        put(self.room(v.len()), v);
        self.at += v.len();
    }

    /// An integer in decimal, written digit pairs backwards from its end.
    #[inline]
    fn int(&mut self, v: i64) {
        let r = self.room(20);
        let sign = (v < 0) as usize;
        r[0].write(b'-');
        let mut u = v.unsigned_abs();
        let n = sign + u.checked_ilog10().unwrap_or(0) as usize + 1;
        let mut i = n;
        while u >= 100 {
            let d = (u % 100) as usize * 2;
            u /= 100;
            i -= 2;
            put(&mut r[i..i + 2], &DIGITS2[d..d + 2]);
        }
        if u >= 10 {
            let d = u as usize * 2;
            put(&mut r[i - 2..i], &DIGITS2[d..d + 2]);
        } else {
            r[i - 1].write(b'0' + u as u8);
        }
        self.at += n;
    }

    /// A number in decimal without a branch on its length: its ten digits are all formed, and
    /// the significant ones copied as one 16-byte block (ports and ids have random lengths,
    /// which a digit loop mispredicts).
    #[inline]
    fn uint(&mut self, v: u32) {
        let lo = v % 100_000_000;
        let pairs = [
            v / 100_000_000,
            lo / 1_000_000,
            lo / 10_000 % 100,
            lo / 100 % 100,
            lo % 100,
        ];
        // The ten digits, most significant first, as the little-endian bytes of a register.
        let mut w = 0u128;
        for (i, p) in pairs.into_iter().enumerate() {
            w |= (u16::from_le_bytes(two_digits(p)) as u128) << (16 * i);
        }
        let n = v.checked_ilog10().unwrap_or(0) as usize + 1;
        self.word(w >> (8 * (10 - n)), n);
    }

    /// Writes the first `len` bytes of `w`'s little-endian bytes, storing all 16 straight from
    /// registers: text assembled byte by byte in memory and then copied whole would stall on
    /// the load (no store-to-load forwarding across several stores).
    #[inline]
    fn word(&mut self, w: u128, len: usize) {
        let r = self.room(16);
        put(&mut r[..8], &(w as u64).to_le_bytes());
        put(&mut r[8..16], &((w >> 64) as u64).to_le_bytes());
        self.at += len.min(16);
    }

    /// A CSV field, quoted if it needs to be.
    fn field(&mut self, v: &[u8]) {
        // The same test as `csv_writer::needs_quotes`, without early exit: names are short,
        // and a loop over whole vectors beats one lookup and branch per byte.
        let special = v.iter().fold(false, |q, &c| {
            q | (c == b',') | (c == b'"') | (c == b'\n') | (c == b'\r')
        });
        if special {
            let mut q = Vec::with_capacity(v.len() + 8);
            csv_writer::field(&mut q, v);
            self.bytes(&q);
        } else {
            self.bytes(v);
        }
    }

    fn end(self) {
        // SAFETY: the bytes below `at` are written (the invariant of `at`).
        unsafe { self.buf.set_len(self.at) };
    }
}

/// tshark's text of a class: `0x0001`.
fn class_text(class: u16) -> [u8; 6] {
    let h = |shift: u16| HEX[((class >> shift) & 15) as usize];
    [b'0', b'x', h(12), h(8), h(4), h(0)]
}

/// A string column written in place: values and offsets, checked once when finished.
struct StrCol {
    values: Vec<u8>,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
}

impl StrCol {
    fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StrCol {
            values: Vec::with_capacity(bytes),
            offsets,
            nulls: NullBufferBuilder::new(rows),
        }
    }

    /// Ends a value written into `values` since the previous one.
    #[inline(always)]
    fn end(&mut self) {
        // Below `MAX_COLUMN_BYTES` + one row (see `RowSink::is_full`), so it fits.
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_non_null();
    }

    /// Adds a value: a name from a buffer that is reused, by a block copy (see
    /// [`extend_from_buffer`]).
    #[inline(always)]
    #[allow(clippy::ptr_arg)] // The `Vec`'s capacity is what makes the block copy sound.
    fn push_name(&mut self, v: &Vec<u8>) {
        extend_from_buffer(&mut self.values, v);
        self.end();
    }

    #[inline(always)]
    fn null(&mut self) {
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_null();
    }

    fn finish(&mut self, rows: usize, bytes: usize) -> Result<ArrayRef, ArrowError> {
        let mut next = StrCol::with_capacity(rows, bytes);
        std::mem::swap(self, &mut next);
        string_array(next.values, next.offsets, next.nulls.finish())
    }
}

/// Appends `src` to `dst`. A short `src` in a buffer of at least [`NAME_ROOM`] bytes is
/// copied as one block of that constant size, and only its length counted: vector moves
/// instead of a call to `memcpy` for a few bytes (names are copied for every row).
#[inline(always)]
#[allow(clippy::ptr_arg)] // The `Vec`'s capacity is what makes the block copy sound.
fn extend_from_buffer(dst: &mut Vec<u8>, src: &Vec<u8>) {
    let n = src.len();
    if n <= NAME_ROOM && src.capacity() >= NAME_ROOM {
        dst.reserve(NAME_ROOM);
        let at = dst.len();
        // SAFETY: `src`'s allocation holds `NAME_ROOM` bytes (its capacity) and `dst` has
        // room for as many past its length (reserved). The bytes of `src` past its length may
        // be uninitialised: they are copied as raw bytes, like `memcpy`, into `dst`'s spare
        // capacity, and not counted in its length, which grows by the `n` initialised bytes
        // only.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().add(at), NAME_ROOM);
            dst.set_len(at + n);
        }
    } else {
        dst.extend_from_slice(src);
    }
}

/// A column from its values (no copy) and nulls, leaving an empty vector for `cap` rows.
fn column<T: ArrowPrimitiveType>(
    values: &mut Vec<T::Native>,
    cap: usize,
    nulls: Option<NullBuffer>,
) -> ArrayRef {
    let v = std::mem::replace(values, Vec::with_capacity(cap));
    Arc::new(PrimitiveArray::<T>::new(ScalarBuffer::from(v), nulls))
}

/// The null buffer of `n` values whose validity `valid` tells; `None` when none is null.
fn nulls_from(n: usize, valid: impl FnMut(usize) -> bool) -> Option<NullBuffer> {
    Some(NullBuffer::new(BooleanBuffer::collect_bool(n, valid))).filter(|b| b.null_count() > 0)
}

/// A string column of `rows` values written by `each` (nothing for a null), in one loop over
/// a buffer sized for `bytes_per_row` bytes per row.
fn text_column(
    rows: usize,
    bytes_per_row: usize,
    nulls: Option<NullBuffer>,
    mut each: impl FnMut(usize, &mut Row<'_>),
) -> Result<ArrayRef, ArrowError> {
    let mut values = Vec::with_capacity(rows * bytes_per_row);
    let mut offsets: Vec<i32> = Vec::with_capacity(rows + 1);
    offsets.push(0);
    let mut r = Row::start(&mut values);
    for i in 0..rows {
        each(i, &mut r);
        // Checked below: a wrapped offset would fail the length test.
        offsets.push(r.at as i32);
    }
    r.end();
    string_array(values, offsets, nulls)
}

/// A string array from its parts, checked for what `StringArray::new` would check but the
/// UTF-8 of the values (see the safety note).
fn string_array(
    values: Vec<u8>,
    offsets: Vec<i32>,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef, ArrowError> {
    let rows = offsets.len() - 1;
    if i32::try_from(values.len()).is_err()
        || offsets
            .last()
            .is_none_or(|&end| end as usize != values.len())
        || nulls.as_ref().is_some_and(|n| n.len() != rows)
    {
        return Err(ArrowError::InvalidArgumentError(
            "a DNS string column outgrew its offsets".into(),
        ));
    }
    // Checks that the offsets start at 0 and never decrease.
    let offsets = OffsetBuffer::new(offsets.into());
    debug_assert!(values.is_ascii());
    // SAFETY: the offsets start at 0, never decrease and end at `values.len()` (checked), and
    // there is one null bit per value (checked); the values are ASCII, hence UTF-8 at every
    // offset: every byte written is a name built by the parser (printable ASCII and `\xHH`
    // escapes), the text of an address, number or time, or a fixed ASCII word. Checking them
    // again (`try_new`) cost 5 % of decoding.
    Ok(Arc::new(unsafe {
        StringArray::new_unchecked(offsets, Buffer::from_vec(values), nulls)
    }))
}

/// Slots of [`Ipv4Cache`] (a power of two). The caches serve the source addresses (the few
/// resolvers that send the responses); those of clients and answers are formatted each
/// time, as they repeat far less (a cache that mostly misses costs more than it saves).
const IPV4_SLOTS: usize = 1 << 11;
/// Slots of [`Ipv6Cache`] (a power of two).
const IPV6_SLOTS: usize = 1 << 10;

/// The text of IPv4 addresses formatted lately, direct-mapped by a hash of the address:
/// resolvers and clients come back row after row. Every slot holds a true pair (address,
/// text) from the start (`0.0.0.0`), so a lookup needs no valid bit.
struct Ipv4Cache {
    slots: Box<[(u32, u32, u128)]>,
}

impl Default for Ipv4Cache {
    fn default() -> Self {
        let (w, n) = ipv4_word(Ipv4Addr::UNSPECIFIED);
        Ipv4Cache {
            slots: vec![(0, n as u32, w); IPV4_SLOTS].into_boxed_slice(),
        }
    }
}

impl Ipv4Cache {
    /// The text of `a`: see [`ipv4_word`].
    #[inline]
    fn get(&mut self, a: Ipv4Addr) -> (u128, usize) {
        let k = a.to_bits();
        let i = (k.wrapping_mul(0x9e37_79b1) >> (32 - IPV4_SLOTS.trailing_zeros())) as usize;
        let slot = &mut self.slots[i & (IPV4_SLOTS - 1)];
        if slot.0 != k {
            let (w, n) = ipv4_word(a);
            *slot = (k, n as u32, w);
        }
        (slot.2, slot.1 as usize)
    }
}

/// [`Ipv4Cache`] for IPv6 addresses (their text costs far more to make).
struct Ipv6Cache {
    slots: Box<[(u128, [u8; 44], usize)]>,
}

impl Default for Ipv6Cache {
    fn default() -> Self {
        let (t, n) = ipv6_text(Ipv6Addr::UNSPECIFIED);
        Ipv6Cache {
            slots: vec![(0, t, n); IPV6_SLOTS].into_boxed_slice(),
        }
    }
}

impl Ipv6Cache {
    /// The text of `a`: see [`ipv6_text`].
    #[inline]
    fn get(&mut self, a: Ipv6Addr) -> (&[u8; 44], usize) {
        let k = a.to_bits();
        let h = ((k >> 64) as u64 ^ k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let i = (h >> (64 - IPV6_SLOTS.trailing_zeros())) as usize;
        let slot = &mut self.slots[i & (IPV6_SLOTS - 1)];
        if slot.0 != k {
            let (t, n) = ipv6_text(a);
            *slot = (k, t, n);
        }
        (&slot.1, slot.2)
    }
}

/// Writes an address as text, through the caches.
#[inline(always)]
fn put_ip(r: &mut Row<'_>, ip: IpAddr, v4: &mut Ipv4Cache, v6: &mut Ipv6Cache) {
    match ip {
        IpAddr::V4(a) => {
            let (w, n) = v4.get(a);
            r.word(w, n);
        }
        IpAddr::V6(a) => {
            let (t, n) = v6.get(a);
            r.fixed(t, n);
        }
    }
}

/// The rows of one record batch, kept as numbers while rows are added (addresses, times,
/// classes, the transport): each text column is then made in one loop when the batch is
/// finished, with caches for the text that repeats (addresses, the time up to its second).
/// Names are copied into their columns as rows come, from the parser's buffers.
pub(super) struct ArrowRows {
    len: usize,
    /// Rows per batch the builders are sized for.
    cap: usize,
    ts_sec: Vec<i64>,
    ts_nsec: Vec<u32>,
    frame_len: Vec<i32>,
    src: Vec<IpAddr>,
    dst: Vec<IpAddr>,
    /// Whether the message has a question (else name, class and type are null).
    has_question: Vec<bool>,
    qry_name: StrCol,
    qclass: Vec<u16>,
    qry_type: Vec<i32>,
    /// The header's rcode, null for queries (`dns_qr` 0).
    rcode: Vec<i32>,
    /// A addresses of all rows, and where each row's end.
    a: Vec<Ipv4Addr>,
    a_end: Vec<u32>,
    /// AAAA addresses of all rows, and where each row's end.
    aaaa: Vec<Ipv6Addr>,
    aaaa_end: Vec<u32>,
    src_port: Vec<i32>,
    dst_port: Vec<i32>,
    tcp: Vec<bool>,
    dns_id: Vec<i32>,
    dns_qr: Vec<i32>,
    ancount: Vec<i32>,
    cname: StrCol,
    min_ttl: Vec<i64>,
    has_ttl: Vec<bool>,
    frame_number: Vec<i64>,
    time: FrameTime,
    v4: Ipv4Cache,
    v6: Ipv6Cache,
}

/// Bytes per row each string column is sized for.
const FRAME_TIME_BYTES: usize = 36;
const IP_BYTES: usize = 15;
const NAME_BYTES: usize = 24;

impl RowSink for ArrowRows {
    type Out = RecordBatch;

    fn with_capacity(cap: usize) -> Self {
        fn v<T>(cap: usize) -> Vec<T> {
            Vec::with_capacity(cap)
        }
        ArrowRows {
            len: 0,
            cap,
            ts_sec: v(cap),
            ts_nsec: v(cap),
            frame_len: v(cap),
            src: v(cap),
            dst: v(cap),
            has_question: v(cap),
            qry_name: StrCol::with_capacity(cap, cap * NAME_BYTES),
            qclass: v(cap),
            qry_type: v(cap),
            rcode: v(cap),
            a: v(cap),
            a_end: v(cap),
            aaaa: v(cap / 8),
            aaaa_end: v(cap),
            src_port: v(cap),
            dst_port: v(cap),
            tcp: v(cap),
            dns_id: v(cap),
            dns_qr: v(cap),
            ancount: v(cap),
            cname: StrCol::with_capacity(cap, cap * NAME_BYTES),
            min_ttl: v(cap),
            has_ttl: v(cap),
            frame_number: v(cap),
            time: FrameTime::default(),
            v4: Ipv4Cache::default(),
            v6: Ipv6Cache::default(),
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_full(&self, batch_size: usize) -> bool {
        // The joined addresses take at most 16 and 40 bytes each.
        self.len >= batch_size
            || self.qry_name.values.len() >= MAX_COLUMN_BYTES
            || self.cname.values.len() >= MAX_COLUMN_BYTES
            || self.a.len() * 16 >= MAX_COLUMN_BYTES
            || self.aaaa.len() * 40 >= MAX_COLUMN_BYTES
    }

    fn push(&mut self, o: &Origin<'_>, header: &Header, m: &MsgFields, qname: &Vec<u8>) {
        self.len += 1;
        let pkt = o.pkt;
        self.ts_sec.push(pkt.ts_sec);
        self.ts_nsec.push(pkt.ts_nsec);
        self.frame_len.push(pkt.orig_len as i32);
        self.src.push(o.src);
        self.dst.push(o.dst);
        self.has_question.push(m.has_question);
        if m.has_question {
            self.qry_name.push_name(qname);
        } else {
            self.qry_name.null();
        }
        self.qclass.push(m.qclass);
        self.qry_type.push(m.qtype as i32);
        self.rcode.push(header.rcode() as i32);
        self.a.extend_from_slice(&m.a);
        self.a_end.push(self.a.len() as u32);
        self.aaaa.extend_from_slice(&m.aaaa);
        self.aaaa_end.push(self.aaaa.len() as u32);
        self.src_port.push(o.src_port as i32);
        self.dst_port.push(o.dst_port as i32);
        self.tcp.push(o.tcp);
        self.dns_id.push(header.id as i32);
        self.dns_qr.push(header.is_response() as i32);
        self.ancount.push(header.ancount as i32);
        if m.cname.is_empty() {
            self.cname.null();
        } else {
            self.cname.push_name(&m.cname);
        }
        self.min_ttl.push(m.min_ttl.unwrap_or(0).into());
        self.has_ttl.push(m.min_ttl.is_some());
        self.frame_number.push(pkt.frame_number as i64);
    }

    fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let (cap, n) = (self.cap, self.len);
        self.len = 0;
        let time = &mut self.time;
        let (sec, nsec) = (&self.ts_sec, &self.ts_nsec);
        let frame_time = text_column(n, FRAME_TIME_BYTES, None, |i, r| {
            time.put_text(r, sec[i], nsec[i])
        })?;
        let (v4, v6) = (&mut self.v4, &mut self.v6);
        // Responses come from a few resolvers: their text is cached.
        let ip_src = text_column(n, IP_BYTES, None, |i, r| put_ip(r, self.src[i], v4, v6))?;
        // Clients are many: their text is made each time (a cache missed too often).
        let ip_dst = text_column(n, IP_BYTES, None, |i, r| match self.dst[i] {
            IpAddr::V4(a) => {
                let (w, len) = ipv4_word(a);
                r.word(w, len);
            }
            IpAddr::V6(a) => {
                let (t, len) = ipv6_text(a);
                r.fixed(&t, len);
            }
        })?;
        let has_q = &self.has_question;
        let question = nulls_from(n, |i| has_q[i]);
        let qclass = &self.qclass;
        let qry_class = text_column(n, 6, question.clone(), |i, r| {
            if has_q[i] {
                r.fixed(&class_text(qclass[i]), 6);
            }
        })?;
        // Row `i`'s addresses: `list[ends[i - 1]..ends[i]]`.
        fn range(ends: &[u32], i: usize) -> std::ops::Range<usize> {
            let from = if i == 0 { 0 } else { ends[i - 1] as usize };
            from..ends[i] as usize
        }
        let (a, a_end) = (&self.a, &self.a_end);
        let has_a = nulls_from(n, |i| !range(a_end, i).is_empty());
        // `dns_a` (the first A address) and `dns_a_all` in one loop: the first address is
        // formatted once for both.
        let mut first = Vec::with_capacity(n * IP_BYTES);
        let mut first_ends: Vec<i32> = Vec::with_capacity(n + 1);
        first_ends.push(0);
        let mut f = Row::start(&mut first);
        let a_all = text_column(n, IP_BYTES, has_a.clone(), |i, r| {
            for (k, &x) in a[range(a_end, i)].iter().enumerate() {
                let (w, len) = ipv4_word(x);
                if k > 0 {
                    r.byte(b'|');
                } else {
                    f.word(w, len);
                }
                r.word(w, len);
            }
            first_ends.push(f.at as i32);
        })?;
        f.end();
        let dns_a = string_array(first, first_ends, has_a)?;
        let (aaaa, aaaa_end) = (&self.aaaa, &self.aaaa_end);
        let has_aaaa = nulls_from(n, |i| !range(aaaa_end, i).is_empty());
        let aaaa_all = text_column(n, if aaaa.is_empty() { 0 } else { 20 }, has_aaaa, |i, r| {
            for (k, &x) in aaaa[range(aaaa_end, i)].iter().enumerate() {
                if k > 0 {
                    r.byte(b'|');
                }
                let (t, len) = ipv6_text(x);
                r.fixed(&t, len);
            }
        })?;
        let tcp = &self.tcp;
        let transport = text_column(n, 3, None, |i, r| {
            r.fixed(if tcp[i] { b"tcp" } else { b"udp" }, 3)
        })?;
        let qr = &self.dns_qr;
        let response = nulls_from(n, |i| qr[i] != 0);
        let has_ttl = &self.has_ttl;
        let ttl_nulls = nulls_from(n, |i| has_ttl[i]);
        let cols: Vec<ArrayRef> = vec![
            frame_time,
            column::<Int64Type>(&mut self.ts_sec, cap, None),
            column::<Int32Type>(&mut self.frame_len, cap, None),
            ip_src,
            ip_dst,
            self.qry_name.finish(cap, cap * NAME_BYTES)?,
            qry_class,
            column::<Int32Type>(&mut self.qry_type, cap, question),
            column::<Int32Type>(&mut self.rcode, cap, response),
            dns_a,
            column::<Int32Type>(&mut self.src_port, cap, None),
            column::<Int32Type>(&mut self.dst_port, cap, None),
            transport,
            column::<Int32Type>(&mut self.dns_id, cap, None),
            column::<Int32Type>(&mut self.dns_qr, cap, None),
            column::<Int32Type>(&mut self.ancount, cap, None),
            a_all,
            aaaa_all,
            self.cname.finish(cap, cap * NAME_BYTES)?,
            column::<Int64Type>(&mut self.min_ttl, cap, ttl_nulls),
            column::<Int64Type>(&mut self.frame_number, cap, None),
        ];
        // The per-row inputs of the text columns are kept for the next batch.
        self.ts_nsec.clear();
        self.src.clear();
        self.dst.clear();
        self.has_question.clear();
        self.qclass.clear();
        self.a.clear();
        self.a_end.clear();
        self.aaaa.clear();
        self.aaaa_end.clear();
        self.tcp.clear();
        self.has_ttl.clear();
        RecordBatch::try_new(dns_capture_schema(), cols)
    }

    fn convert(&mut self, batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
        Ok(batch)
    }
}

/// Rows written straight as CSV text: the bytes [`crate::BatchWriter`] writes for the batches
/// of [`ArrowRows`] (header line first, `,` separators, empty nulls, fields quoted only when
/// they hold `,` `"` `\r` or `\n`).
pub(super) struct CsvRows {
    buf: Vec<u8>,
    rows: usize,
    header_done: bool,
    time: FrameTime,
    v4: Ipv4Cache,
    v6: Ipv6Cache,
}

impl CsvRows {
    /// Starts a chunk: the header line (the names of `schema`) before the first.
    fn start(&mut self, schema: &Schema) {
        if !self.header_done {
            self.header_done = true;
            csv_writer::header(&mut self.buf, schema);
        }
    }
}

impl RowSink for CsvRows {
    type Out = Vec<u8>;

    fn with_capacity(_rows: usize) -> Self {
        CsvRows {
            buf: Vec::with_capacity(CSV_CHUNK_BYTES + 64 * 1024),
            rows: 0,
            header_done: false,
            time: FrameTime::default(),
            v4: Ipv4Cache::default(),
            v6: Ipv6Cache::default(),
        }
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn is_full(&self, batch_size: usize) -> bool {
        self.rows >= batch_size || self.buf.len() >= CSV_CHUNK_BYTES
    }

    fn push(&mut self, o: &Origin<'_>, header: &Header, m: &MsgFields, qname: &Vec<u8>) {
        if !self.header_done {
            self.start(&dns_capture_schema());
        }
        self.rows += 1;
        let pkt = o.pkt;
        let mut r = Row::start(&mut self.buf);
        // The columns of `dns_capture_schema`, as `ArrowRows::push` fills them.
        self.time.put_csv(&mut r, pkt.ts_sec, pkt.ts_nsec);
        self.time.put_epoch(&mut r);
        match i32::try_from(pkt.orig_len) {
            Ok(len) => r.uint(len as u32),
            // As the Int32 column holds it.
            Err(_) => r.int(pkt.orig_len as i32 as i64),
        }
        r.byte(b',');
        put_ip(&mut r, o.src, &mut self.v4, &mut self.v6);
        r.byte(b',');
        match o.dst {
            IpAddr::V4(a) => {
                let (w, n) = ipv4_word(a);
                r.word(w, n);
            }
            IpAddr::V6(a) => {
                let (t, n) = ipv6_text(a);
                r.fixed(&t, n);
            }
        }
        r.byte(b',');
        if m.has_question {
            r.field(qname);
            r.byte(b',');
            r.fixed(&class_text(m.qclass), 6);
            r.byte(b',');
            r.uint(m.qtype.into());
        } else {
            r.fixed(b",,", 2);
        }
        r.byte(b',');
        let response = header.is_response();
        if response {
            r.uint(header.rcode().into());
        }
        r.byte(b',');
        if let Some(&a) = m.a.first() {
            let (w, n) = ipv4_word(a);
            r.word(w, n);
        }
        r.byte(b',');
        r.uint(o.src_port.into());
        r.byte(b',');
        r.uint(o.dst_port.into());
        r.byte(b',');
        r.fixed(o.transport().as_bytes().try_into().unwrap_or(b"udp"), 3);
        r.byte(b',');
        r.uint(header.id.into());
        r.fixed(if response { b",1," } else { b",0," }, 3);
        r.uint(header.ancount.into());
        r.byte(b',');
        for (i, &a) in m.a.iter().enumerate() {
            if i > 0 {
                r.byte(b'|');
            }
            let (w, n) = ipv4_word(a);
            r.word(w, n);
        }
        r.byte(b',');
        for (i, &a) in m.aaaa.iter().enumerate() {
            if i > 0 {
                r.byte(b'|');
            }
            let (t, n) = ipv6_text(a);
            r.fixed(&t, n);
        }
        r.byte(b',');
        r.field(&m.cname);
        r.byte(b',');
        if let Some(t) = m.min_ttl {
            r.uint(t);
        }
        r.byte(b',');
        match u32::try_from(pkt.frame_number) {
            Ok(n) => r.uint(n),
            Err(_) => r.int(pkt.frame_number as i64),
        }
        r.byte(b'\n');
        r.end();
    }

    fn finish(&mut self) -> Result<Vec<u8>, ArrowError> {
        self.rows = 0;
        let mut next = Vec::with_capacity(CSV_CHUNK_BYTES + 64 * 1024);
        std::mem::swap(&mut next, &mut self.buf);
        Ok(next)
    }

    fn convert(&mut self, batch: RecordBatch) -> Result<Vec<u8>, ArrowError> {
        // Rows of the capture pass are handed out before another reader's batch.
        self.start(batch.schema_ref());
        csv_writer::rows(&mut self.buf, &batch, 0, &mut String::new())?;
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(sec: i64, nsec: u32, t: &mut FrameTime) -> (String, String) {
        let mut text = Vec::new();
        t.push(&mut text, sec, nsec);
        let mut csv = Vec::new();
        let mut row = Row::start(&mut csv);
        t.put_csv(&mut row, sec, nsec);
        t.put_epoch(&mut row);
        row.end();
        let text = String::from_utf8(text).unwrap();
        let mut want = Vec::new();
        csv_writer::field(&mut want, text.as_bytes());
        want.extend_from_slice(format!(",{sec},").as_bytes());
        assert_eq!(csv, want);
        let csv = csv[..csv.len() - format!(",{sec},").len()].to_vec();
        (text, String::from_utf8(csv).unwrap())
    }

    #[test]
    fn frame_time_cache_follows_seconds_minutes_and_days() {
        let mut t = FrameTime::default();
        let fresh = |sec: i64, nsec: u32| time(sec, nsec, &mut FrameTime::default()).0;
        // Forwards and backwards within a minute, across minutes, hours, days, years.
        for sec in [
            1_795_599_592,
            1_795_599_593,
            1_795_599_599,
            1_795_599_600,
            1_795_599_559,
            1_795_599_540,
            1_795_599_540 + 86_400,
            1_798_761_599,
            1_798_761_600,
            0,
            -1,
            -61,
            i64::MAX,
            i64::MIN,
        ] {
            for nsec in [0, 5, 741_815_000, 999_999_999, 1_500_000_000] {
                let (text, csv) = time(sec, nsec, &mut t);
                assert_eq!(text, fresh(sec, nsec), "{sec}.{nsec}");
                assert!(csv.starts_with('"') && csv.ends_with(" UTC\""), "{csv}");
            }
        }
        assert_eq!(
            fresh(1_795_599_592, 741_815_000),
            "Nov 25, 2026 09:39:52.741815000 UTC"
        );
        assert_eq!(
            fresh(1_794_000_000, 5),
            "Nov  6, 2026 21:20:00.000000005 UTC"
        );
        assert_eq!(fresh(i64::MAX, 0), "Jan  1, 1970 00:00:00.000000000 UTC");
    }

    #[test]
    fn integers_and_fields_in_rows() {
        let mut out = b"x".to_vec();
        let mut row = Row::start(&mut out);
        let ints = [
            0,
            7,
            10,
            99,
            100,
            65_535,
            -1,
            -10,
            1_795_599_592,
            i64::MAX,
            i64::MIN,
            i32::MIN as i64,
        ];
        for v in ints {
            row.int(v);
            row.byte(b',');
        }
        let uints = [
            0,
            1,
            9,
            10,
            99,
            100,
            999,
            1000,
            65_535,
            99_999_999,
            100_000_000,
            u32::MAX,
        ];
        for v in uints {
            row.uint(v);
            row.byte(b',');
        }
        row.field(b"a,b\"c");
        row.field(b"plain");
        // Longer than the room made ahead.
        row.bytes(&[b'z'; 3 * ROW_ROOM]);
        row.end();
        let mut want = b"x".to_vec();
        for v in ints {
            want.extend_from_slice(format!("{v},").as_bytes());
        }
        for v in uints {
            want.extend_from_slice(format!("{v},").as_bytes());
        }
        want.extend_from_slice(b"\"a,b\"\"c\"plain");
        want.extend_from_slice(&[b'z'; 3 * ROW_ROOM]);
        assert_eq!(out, want);
    }

    #[test]
    fn class_text_is_tshark_hex() {
        assert_eq!(&class_text(1), b"0x0001");
        assert_eq!(&class_text(0xfe), b"0x00fe");
        assert_eq!(&class_text(0x8001), b"0x8001");
    }
}
