//! DNS messages (RFC 1035 and successors): header, questions, and the answer, authority and
//! additional sections, with typed data for the common record types.
//!
//! Every length, count and compression pointer comes from untrusted bytes: reads are bounds
//! checked, names are limited to 255 bytes on the wire and 63-byte labels, and compression
//! pointers must point strictly backwards (which rules out loops) with at most
//! [`MAX_POINTERS`] jumps per name.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Most compression pointers followed while reading one name.
pub const MAX_POINTERS: usize = 64;
/// Longest name on the wire (RFC 1035 §2.3.4).
pub const MAX_NAME_WIRE_LEN: usize = 255;

/// What makes a message unreadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The message ends inside the header, a name or a record.
    #[error("message truncated at byte {at}")]
    Truncated {
        /// Offset of the field that runs past the end.
        at: usize,
    },
    /// A compression pointer that does not point backwards, or too many of them.
    #[error("bad compression pointer at byte {at}")]
    BadPointer {
        /// Offset of the pointer.
        at: usize,
    },
    /// A name longer than 255 bytes.
    #[error("name longer than 255 bytes at byte {at}")]
    NameTooLong {
        /// Offset where the name starts.
        at: usize,
    },
    /// A label type other than a plain label or a pointer (0x40, 0x80 prefixes).
    #[error("unsupported label type {byte:#04x} at byte {at}")]
    BadLabel {
        /// Offset of the label.
        at: usize,
        /// The length byte.
        byte: u8,
    },
    /// A record's data does not fit its type's layout.
    #[error("record of type {rtype} has malformed data at byte {at}")]
    BadRdata {
        /// Offset of the record data.
        at: usize,
        /// The record type.
        rtype: u16,
    },
}

/// The fixed 12-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Transaction id.
    pub id: u16,
    /// The raw flags word.
    pub flags: u16,
    /// Number of questions.
    pub qdcount: u16,
    /// Number of answers.
    pub ancount: u16,
    /// Number of authority records.
    pub nscount: u16,
    /// Number of additional records.
    pub arcount: u16,
}

impl Header {
    /// QR bit: true for a response.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// The opcode (0 = standard query).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0x0f) as u8
    }
    /// The 4-bit response code of the header (without the EDNS extension).
    pub fn rcode(&self) -> u8 {
        (self.flags & 0x000f) as u8
    }
    /// TC bit: the message was truncated by the server.
    pub fn truncated(&self) -> bool {
        self.flags & 0x0200 != 0
    }
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Queried name in presentation form (see [`read_name`]).
    pub name: String,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
}

/// Typed record data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Canonical name.
    Cname(String),
    /// Name server.
    Ns(String),
    /// Pointer (reverse lookups).
    Ptr(String),
    /// Mail exchange.
    Mx {
        /// Preference.
        preference: u16,
        /// Exchange host.
        exchange: String,
    },
    /// Character strings.
    Txt(Vec<Vec<u8>>),
    /// Service location.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target host.
        target: String,
    },
    /// Start of authority.
    Soa {
        /// Primary name server.
        mname: String,
        /// Responsible mailbox.
        rname: String,
        /// Serial.
        serial: u32,
        /// Refresh interval.
        refresh: u32,
        /// Retry interval.
        retry: u32,
        /// Expire limit.
        expire: u32,
        /// Minimum (negative caching) TTL.
        minimum: u32,
    },
    /// EDNS(0) pseudo-record: the fields live in the record's class and TTL.
    Opt {
        /// Requestor's UDP payload size (the record's class).
        udp_payload_size: u16,
        /// Upper 8 bits of the extended rcode.
        extended_rcode: u8,
        /// EDNS version.
        version: u8,
        /// DNSSEC OK bit.
        dnssec_ok: bool,
        /// Options as (code, data).
        options: Vec<(u16, Vec<u8>)>,
    },
    /// Any other type: its data length only.
    Other {
        /// Length of the record data.
        len: u16,
    },
}

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name.
    pub name: String,
    /// TYPE.
    pub rtype: u16,
    /// CLASS.
    pub class: u16,
    /// TTL in seconds.
    pub ttl: u32,
    /// The data.
    pub data: RData,
}

/// A parsed DNS message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The header.
    pub header: Header,
    /// Question section.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<Record>,
    /// Authority section.
    pub authorities: Vec<Record>,
    /// Additional section (where EDNS OPT lives).
    pub additionals: Vec<Record>,
}

impl Message {
    /// Parses a whole message.
    pub fn parse(msg: &[u8]) -> Result<Message, DnsError> {
        struct Collect(Message);
        impl Visitor for Collect {
            fn question(&mut self, name: &str, qtype: u16, qclass: u16) {
                self.0.questions.push(Question {
                    name: name.to_string(),
                    qtype,
                    qclass,
                });
            }
            fn record(&mut self, section: Section, r: &RecordRef<'_>) {
                let rec = r.to_owned();
                match section {
                    Section::Answer => self.0.answers.push(rec),
                    Section::Authority => self.0.authorities.push(rec),
                    Section::Additional => self.0.additionals.push(rec),
                }
            }
        }
        let mut c = Collect(Message::default());
        c.0.header = Parser::default().visit(msg, &mut c)?;
        Ok(c.0)
    }

    /// The response code including the EDNS extended bits (the OPT record's upper 8 bits).
    pub fn extended_rcode(&self) -> u16 {
        let hi = self
            .additionals
            .iter()
            .find_map(|r| match r.data {
                RData::Opt { extended_rcode, .. } => Some(extended_rcode),
                _ => None,
            })
            .unwrap_or(0);
        ((hi as u16) << 4) | self.header.rcode() as u16
    }

    /// All records of the answer, authority and additional sections, in order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.answers
            .iter()
            .chain(&self.authorities)
            .chain(&self.additionals)
    }
}

struct Cursor<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DnsError> {
        let s = self
            .msg
            .get(self.pos..self.pos + n)
            .ok_or(DnsError::Truncated { at: self.pos })?;
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, DnsError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, DnsError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, DnsError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Message section of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Answer section.
    Answer,
    /// Authority section.
    Authority,
    /// Additional section.
    Additional,
}

/// Record data borrowed from the parser (names live in its scratch buffers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RDataRef<'a> {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Canonical name.
    Cname(&'a str),
    /// Name server.
    Ns(&'a str),
    /// Pointer.
    Ptr(&'a str),
    /// Mail exchange.
    Mx {
        /// Preference.
        preference: u16,
        /// Exchange host.
        exchange: &'a str,
    },
    /// Character strings, as the raw (validated) record data.
    Txt(&'a [u8]),
    /// Service location.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target host.
        target: &'a str,
    },
    /// Start of authority.
    Soa {
        /// Primary name server.
        mname: &'a str,
        /// Responsible mailbox.
        rname: &'a str,
        /// Serial, refresh, retry, expire, minimum.
        times: [u32; 5],
    },
    /// EDNS(0): options as the raw (validated) record data.
    Opt(&'a [u8]),
    /// Any other type: its data length.
    Other(u16),
}

/// A record borrowed from the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// Owner name.
    pub name: &'a str,
    /// TYPE.
    pub rtype: u16,
    /// CLASS.
    pub class: u16,
    /// TTL.
    pub ttl: u32,
    /// The data.
    pub data: RDataRef<'a>,
}

impl RecordRef<'_> {
    /// An owned copy.
    pub fn to_owned(&self) -> Record {
        let data = match self.data {
            RDataRef::A(a) => RData::A(a),
            RDataRef::Aaaa(a) => RData::Aaaa(a),
            RDataRef::Cname(n) => RData::Cname(n.to_string()),
            RDataRef::Ns(n) => RData::Ns(n.to_string()),
            RDataRef::Ptr(n) => RData::Ptr(n.to_string()),
            RDataRef::Mx {
                preference,
                exchange,
            } => RData::Mx {
                preference,
                exchange: exchange.to_string(),
            },
            RDataRef::Txt(mut raw) => {
                let mut parts = Vec::new();
                while let Some((&n, rest)) = raw.split_first() {
                    let n = (n as usize).min(rest.len());
                    parts.push(rest[..n].to_vec());
                    raw = &rest[n..];
                }
                RData::Txt(parts)
            }
            RDataRef::Srv {
                priority,
                weight,
                port,
                target,
            } => RData::Srv {
                priority,
                weight,
                port,
                target: target.to_string(),
            },
            RDataRef::Soa {
                mname,
                rname,
                times,
            } => RData::Soa {
                mname: mname.to_string(),
                rname: rname.to_string(),
                serial: times[0],
                refresh: times[1],
                retry: times[2],
                expire: times[3],
                minimum: times[4],
            },
            RDataRef::Opt(mut raw) => {
                let mut options = Vec::new();
                while raw.len() >= 4 {
                    let code = u16::from_be_bytes([raw[0], raw[1]]);
                    let n = (u16::from_be_bytes([raw[2], raw[3]]) as usize).min(raw.len() - 4);
                    options.push((code, raw[4..4 + n].to_vec()));
                    raw = &raw[4 + n..];
                }
                RData::Opt {
                    udp_payload_size: self.class,
                    extended_rcode: (self.ttl >> 24) as u8,
                    version: (self.ttl >> 16) as u8,
                    dnssec_ok: self.ttl & 0x8000 != 0,
                    options,
                }
            }
            RDataRef::Other(len) => RData::Other { len },
        };
        Record {
            name: self.name.to_string(),
            rtype: self.rtype,
            class: self.class,
            ttl: self.ttl,
            data,
        }
    }
}

/// Receives the parts of a message as [`Parser::visit`] reads them.
pub trait Visitor {
    /// Whether [`Visitor::record`] reads the owner names of records and the names inside
    /// record data other than CNAME targets. When `false` the parser still checks those names
    /// (a malformed one is an error all the same) but does not spell them out: such names
    /// arrive empty, which saves most of the parsing of a typical response.
    const ALL_NAMES: bool = true;
    /// Whether [`Visitor::record`] reads the data of records other than A, AAAA and CNAME
    /// (NS, PTR, MX, TXT, SRV, SOA, OPT and every other type). When `false` the parser checks
    /// only the framing of those records (the owner name, then type, class, TTL and a data
    /// length that stays within the message), not what their data holds: such records arrive
    /// as [`RDataRef::Other`] with their data length, and a message whose only damage lies
    /// inside such data is not an error. A, AAAA and CNAME data is checked in full either way.
    const ALL_DATA: bool = true;
    /// One question.
    fn question(&mut self, _name: &str, _qtype: u16, _qclass: u16) {}
    /// One resource record.
    fn record(&mut self, _section: Section, _record: &RecordRef<'_>) {}
}

/// A DNS parser with reusable name buffers: after warm-up, [`Parser::visit`] allocates nothing.
#[derive(Debug, Default)]
pub struct Parser {
    // Names in presentation form: printable ASCII and `\xHH` escapes, so always ASCII.
    owner: Vec<u8>,
    /// The first question's name (see [`Parser::first_question_name`]).
    question: Vec<u8>,
    name1: Vec<u8>,
    name2: Vec<u8>,
    /// Names of the current message already walked.
    known: KnownNames,
}

impl Parser {
    /// Reads a whole message, handing each question and record to `v`; returns the header.
    /// Either the whole message is valid, or an error says where it is not (`v` may then have
    /// seen the parts before the damage).
    pub fn visit<V: Visitor>(&mut self, msg: &[u8], v: &mut V) -> Result<Header, DnsError> {
        let Some(h) = msg.first_chunk::<12>() else {
            return Err(DnsError::Truncated { at: msg.len() & !1 });
        };
        let word = |at: usize| u16::from_be_bytes([h[at], h[at + 1]]);
        let header = Header {
            id: word(0),
            flags: word(2),
            qdcount: word(4),
            ancount: word(6),
            nscount: word(8),
            arcount: word(10),
        };
        let mut cur = Cursor { msg, pos: 12 };
        self.known.clear();
        for i in 0..header.qdcount {
            // The first question's name is kept for `first_question_name`.
            let name = if i == 0 {
                &mut self.question
            } else {
                &mut self.owner
            };
            // Questions are stored in one piece: a walk of their length bytes and one copy,
            // or the general walk for anything else (which then also finds any damage).
            cur.pos = match read_plain_name(msg, cur.pos, name) {
                Some(w) => {
                    self.known.note(cur.pos, w);
                    w.end
                }
                None => read_name_noted(msg, cur.pos, name, &mut self.known)?,
            };
            let qtype = cur.u16()?;
            let qclass = cur.u16()?;
            v.question(ascii(name), qtype, qclass);
        }
        for (count, section) in [
            (header.ancount, Section::Answer),
            (header.nscount, Section::Authority),
            (header.arcount, Section::Additional),
        ] {
            for _ in 0..count {
                self.record(&mut cur, section, v)?;
            }
        }
        Ok(header)
    }

    /// The name of the first question of the last message visited, as handed to
    /// [`Visitor::question`], in the buffer the parser reuses (a `Vec`, whose capacity tells
    /// how many bytes a block copy may read). Meaningful only after a visit that reached a
    /// question.
    pub(crate) fn first_question_name(&self) -> &Vec<u8> {
        &self.question
    }

    fn record<V: Visitor>(
        &mut self,
        cur: &mut Cursor<'_>,
        section: Section,
        v: &mut V,
    ) -> Result<(), DnsError> {
        cur.pos = if V::ALL_NAMES {
            read_name_bytes(cur.msg, cur.pos, &mut self.owner)?
        } else {
            self.owner.clear();
            // The usual owner, a pointer to the first question's name (walked whole already,
            // with fewer pointers than the limit: they go below offset 12): nothing to check.
            if cur.msg.get(cur.pos..cur.pos + 2) == Some(&[0xc0, 12]) && self.known.has_question() {
                cur.pos + 2
            } else {
                skip_name_noted(cur.msg, cur.pos, &mut self.known)?
            }
        };
        // Type, class, TTL and data length in one read; when they run past the end, the
        // field reads say which one does.
        let (rtype, class, ttl, rdlen) = match cur.msg.get(cur.pos..cur.pos + 10) {
            Some(f) => {
                cur.pos += 10;
                (
                    u16::from_be_bytes([f[0], f[1]]),
                    u16::from_be_bytes([f[2], f[3]]),
                    u32::from_be_bytes([f[4], f[5], f[6], f[7]]),
                    u16::from_be_bytes([f[8], f[9]]) as usize,
                )
            }
            None => (cur.u16()?, cur.u16()?, cur.u32()?, cur.u16()? as usize),
        };
        let start = cur.pos;
        let end = start + rdlen;
        let Some(raw) = cur.msg.get(start..end) else {
            return Err(DnsError::Truncated { at: start });
        };
        // The most common records, whole: an address of the right length.
        let address = match (rtype, raw.len()) {
            (1, 4) => Some(RDataRef::A(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]))),
            (28, 16) => {
                let mut b = [0u8; 16];
                b.copy_from_slice(raw);
                Some(RDataRef::Aaaa(Ipv6Addr::from(b)))
            }
            _ => None,
        };
        let data = 'data: {
            if let Some(data) = address {
                break 'data data;
            }
            if !V::ALL_DATA && !matches!(rtype, 1 | 5 | 28) {
                // Data the visitor does not read: its bounds are checked (above), not its layout.
                break 'data RDataRef::Other(rdlen as u16);
            }
            let (n1, n2, known) = (&mut self.name1, &mut self.name2, &mut self.known);
            general_rdata(cur.msg, start, end, rtype, V::ALL_NAMES, [n1, n2], known)?
        };
        cur.pos = end;
        v.record(
            section,
            &RecordRef {
                name: ascii(&self.owner),
                rtype,
                class,
                ttl,
                data,
            },
        );
        Ok(())
    }
}

/// The data of a record of type `rtype` at `msg[start..end]`, its layout checked (and its
/// names spelled out, where the visitor wants them: all when `all`, else those of
/// CNAMEs). The data must end exactly at `end`.
fn general_rdata<'s>(
    msg: &'s [u8],
    start: usize,
    end: usize,
    rtype: u16,
    all: bool,
    [n1, n2]: [&'s mut Vec<u8>; 2],
    known: &mut KnownNames,
) -> Result<RDataRef<'s>, DnsError> {
    let rdlen = end - start;
    let bad = DnsError::BadRdata { at: start, rtype };
    // Names inside record data may point anywhere before them, so the cursor spans the
    // whole message; it must end exactly at `end`.
    let mut rd = Cursor { msg, pos: start };
    n1.clear();
    n2.clear();
    // A name of the record data, spelled out only when the visitor wants it.
    let mut name = |pos: usize, out: &mut Vec<u8>, wanted: bool| {
        if wanted {
            read_name_noted(msg, pos, out, known)
        } else {
            skip_name_noted(msg, pos, known)
        }
    };
    let kind = (|| -> Result<u8, DnsError> {
        Ok(match rtype {
            1 => {
                rd.take(4)?;
                1
            }
            28 => {
                rd.take(16)?;
                28
            }
            5 | 2 | 12 => {
                rd.pos = name(rd.pos, n1, all || rtype == 5)?;
                5
            }
            15 => {
                rd.u16()?;
                rd.pos = name(rd.pos, n1, all)?;
                15
            }
            16 => {
                while rd.pos < end {
                    let n = rd.u8()? as usize;
                    rd.take(n)?;
                }
                16
            }
            33 => {
                rd.take(6)?;
                rd.pos = name(rd.pos, n1, all)?;
                33
            }
            6 => {
                rd.pos = name(rd.pos, n1, all)?;
                rd.pos = name(rd.pos, n2, all)?;
                rd.take(20)?;
                6
            }
            41 => {
                while rd.pos < end {
                    rd.u16()?;
                    let n = rd.u16()? as usize;
                    rd.take(n)?;
                }
                41
            }
            _ => {
                rd.pos = end;
                0
            }
        })
    })()
    .map_err(|e| match e {
        DnsError::Truncated { .. } => bad,
        other => other,
    })?;
    if rd.pos != end {
        return Err(bad);
    }
    let (n1, n2): (&'s Vec<u8>, &'s Vec<u8>) = (n1, n2);
    let raw = &msg[start..end];
    let be16 = |at: usize| u16::from_be_bytes([raw[at], raw[at + 1]]);
    let be32 = |at: usize| u32::from_be_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]]);
    Ok(match (kind, rtype) {
        (1, _) => RDataRef::A(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3])),
        (28, _) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(&raw[..16]);
            RDataRef::Aaaa(Ipv6Addr::from(b))
        }
        (5, 5) => RDataRef::Cname(ascii(n1)),
        (5, 2) => RDataRef::Ns(ascii(n1)),
        (5, _) => RDataRef::Ptr(ascii(n1)),
        (15, _) => RDataRef::Mx {
            preference: be16(0),
            exchange: ascii(n1),
        },
        (16, _) => RDataRef::Txt(raw),
        (33, _) => RDataRef::Srv {
            priority: be16(0),
            weight: be16(2),
            port: be16(4),
            target: ascii(n1),
        },
        (6, _) => {
            let t = raw.len() - 20;
            RDataRef::Soa {
                mname: ascii(n1),
                rname: ascii(n2),
                times: [
                    be32(t),
                    be32(t + 4),
                    be32(t + 8),
                    be32(t + 12),
                    be32(t + 16),
                ],
            }
        }
        (41, _) => RDataRef::Opt(raw),
        _ => RDataRef::Other(rdlen as u16),
    })
}

/// Reads the (possibly compressed) name at `pos` into `out` in presentation form, and returns
/// the offset just after it in the original byte stream.
///
/// Labels are joined by `.` without a trailing dot; the root name is `<Root>` as tshark shows
/// it. Printable ASCII (space to `~`) is kept as is; any other byte is written `\xHH`.
pub fn read_name(msg: &[u8], pos: usize, out: &mut String) -> Result<usize, DnsError> {
    out.clear();
    let mut name = Vec::new();
    let end = read_name_bytes(msg, pos, &mut name)?;
    out.push_str(ascii(&name));
    Ok(end)
}

/// [`read_name`] into bytes (always ASCII).
fn read_name_bytes(msg: &[u8], pos: usize, out: &mut Vec<u8>) -> Result<usize, DnsError> {
    read_name_walk(msg, pos, out).map(|w| w.end)
}

/// [`read_name_bytes`], noting the name in `known`.
fn read_name_noted(
    msg: &[u8],
    pos: usize,
    out: &mut Vec<u8>,
    known: &mut KnownNames,
) -> Result<usize, DnsError> {
    let w = read_name_walk(msg, pos, out)?;
    known.note(pos, w);
    Ok(w.end)
}

/// Checks the name at `pos` as [`skip_name`], with the help of (and noting it in) `known`.
#[inline]
fn skip_name_noted(msg: &[u8], pos: usize, known: &mut KnownNames) -> Result<usize, DnsError> {
    let w = walk_name_full(msg, pos, Some(known), |_| {})?;
    known.note(pos, w);
    Ok(w.end)
}

/// Room kept in the parser's name buffers: names up to this long are copied as a block of
/// this constant size (vector moves instead of a call to `memcpy` for a few bytes).
pub(crate) const NAME_ROOM: usize = 64;

/// [`read_name_walk`] for a name stored in one piece (no compression pointer) whose labels
/// are all printable, as questions are: one walk over its length bytes and one copy, with the
/// same result. `None` for any other name (a pointer, a byte to escape, the root, damage):
/// the general walk reads those and says what is wrong.
#[inline(always)]
fn read_plain_name(msg: &[u8], pos: usize, out: &mut Vec<u8>) -> Option<Walked> {
    let mut p = pos;
    loop {
        let len = *msg.get(p)?;
        if len == 0 {
            break;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        p += len as usize + 1;
        if p - pos >= MAX_NAME_WIRE_LEN {
            return None;
        }
    }
    // The labels and the length bytes between them (`p` is the root byte).
    let n = p.checked_sub(pos + 1).filter(|&n| n > 0)?;
    out.clear();
    match msg.get(pos + 1..pos + 1 + NAME_ROOM) {
        // A constant-size copy, then the name's length.
        Some(block) if n <= NAME_ROOM => {
            out.extend_from_slice(block);
            out.truncate(n);
        }
        _ => out.extend_from_slice(&msg[pos + 1..p]),
    }
    // Each length byte after the first becomes a dot.
    let mut k = msg[pos] as usize;
    while let Some(len) = out.get_mut(k) {
        let next = k + *len as usize + 1;
        *len = b'.';
        k = next;
    }
    // One check over the whole name (no early exit: it runs over whole words).
    if !out.iter().fold(true, |ok, &c| ok & printable(c)) {
        return None;
    }
    Some(Walked {
        end: p + 1,
        wire_len: p + 1 - pos,
        jumps: 0,
    })
}

/// [`read_name_bytes`], saying what the walk found.
fn read_name_walk(msg: &[u8], pos: usize, out: &mut Vec<u8>) -> Result<Walked, DnsError> {
    out.clear();
    // Most names are stored in one piece (a question's always): their labels follow each other
    // in `msg`, and are copied at once below. `span` is where the labels read so far lie.
    let base = msg.as_ptr() as usize;
    let mut span: Option<(usize, usize)> = None;
    let mut in_one_piece = true;
    let walked = walk_name_full(msg, pos, None, |label| {
        let at = label.as_ptr() as usize - base;
        match &mut span {
            None => span = Some((at, at + label.len())),
            // The next label starts right after the previous one's end and its length byte.
            Some((_, end)) if *end + 1 == at => *end = at + label.len(),
            Some(_) => in_one_piece = false,
        }
    })?;
    match span {
        Some((from, to)) if in_one_piece => {
            // The labels and the length bytes between them; each length byte becomes a dot.
            out.extend_from_slice(&msg[from..to]);
            let mut k = msg[from - 1] as usize;
            while let Some(len) = out.get_mut(k) {
                let next = k + *len as usize + 1;
                *len = b'.';
                k = next;
            }
        }
        Some(_) => {
            walk_name(msg, pos, |label| {
                if !out.is_empty() {
                    out.push(b'.');
                }
                out.extend_from_slice(label);
            })?;
        }
        None => {}
    }
    // One check over the whole name (no early exit: it runs over whole words).
    if !out.iter().fold(true, |ok, &c| ok & printable(c)) {
        // Rare: bytes to write `\xHH`. Walk again, escaping.
        out.clear();
        walk_name(msg, pos, |label| {
            if !out.is_empty() {
                out.push(b'.');
            }
            push_label(out, label);
        })?;
    }
    if out.is_empty() {
        out.extend_from_slice(b"<Root>");
    }
    Ok(walked)
}

/// Checks the (possibly compressed) name at `pos` exactly as [`read_name`] does, without
/// spelling it out, and returns the offset just after it.
pub fn skip_name(msg: &[u8], pos: usize) -> Result<usize, DnsError> {
    walk_name(msg, pos, |_| {})
}

/// Walks the (possibly compressed) name at `pos`, handing each label to `on_label`, and returns
/// the offset just after the name in the original byte stream.
#[inline(always)]
fn walk_name(msg: &[u8], pos: usize, on_label: impl FnMut(&[u8])) -> Result<usize, DnsError> {
    walk_name_full(msg, pos, None, on_label).map(|w| w.end)
}

/// What a successful walk of a name found.
#[derive(Debug, Clone, Copy)]
struct Walked {
    /// Offset just after the name in the original byte stream.
    end: usize,
    /// Length of the name on the wire once decompressed (root byte included).
    wire_len: usize,
    /// Compression pointers followed.
    jumps: usize,
}

/// Names of the message being parsed that were walked whole without error, by offset: a
/// pointer to one of them (every record's owner points at the question) needs no second walk
/// when only checking names, since the rest of the walk from there is the same walk. A few
/// slots suffice: most pointers go to the question name.
#[derive(Debug, Default, Clone, Copy)]
struct KnownNames {
    at: [u16; 4],
    wire_len: [u8; 4],
    jumps: [u8; 4],
    len: usize,
}

impl KnownNames {
    fn clear(&mut self) {
        self.len = 0;
    }

    /// Whether the first question's name (at offset 12) was walked whole.
    #[inline]
    fn has_question(&self) -> bool {
        self.len > 0 && self.at[0] == 12
    }

    #[inline]
    fn get(&self, at: usize) -> Option<(usize, usize)> {
        (0..self.len.min(4))
            .find(|&i| self.at[i] as usize == at)
            .map(|i| (self.wire_len[i] as usize, self.jumps[i] as usize))
    }

    /// Notes the name walked from `at`.
    #[inline]
    fn note(&mut self, at: usize, w: Walked) {
        if self.len < 4
            && let (Ok(at), Ok(wire_len), Ok(jumps)) = (
                u16::try_from(at),
                u8::try_from(w.wire_len),
                u8::try_from(w.jumps),
            )
        {
            self.at[self.len] = at;
            self.wire_len[self.len] = wire_len;
            self.jumps[self.len] = jumps;
            self.len += 1;
        }
    }
}

/// [`walk_name`], also saying how long the name is and how many pointers it took. With
/// `known`, a pointer to a known name ends the walk there (its labels are then not handed to
/// `on_label`: only for checking names) unless the whole name would break a limit, in which
/// case the walk goes on to find the error.
#[inline(always)]
fn walk_name_full(
    msg: &[u8],
    pos: usize,
    known: Option<&KnownNames>,
    mut on_label: impl FnMut(&[u8]),
) -> Result<Walked, DnsError> {
    let start = pos;
    let mut pos = pos;
    let mut after: Option<usize> = None;
    let mut jumps = 0;
    let mut wire_len = 1;
    // Pointers must go strictly below the lowest offset read so far: no loops possible.
    let mut floor = pos;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Truncated { at: pos })?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    pos += 1;
                    break;
                }
                let n = len as usize;
                let label = msg
                    .get(pos + 1..pos + 1 + n)
                    .ok_or(DnsError::Truncated { at: pos })?;
                wire_len += n + 1;
                if wire_len > MAX_NAME_WIRE_LEN {
                    return Err(DnsError::NameTooLong { at: start });
                }
                on_label(label);
                pos += 1 + n;
            }
            0xc0 => {
                let lo = *msg.get(pos + 1).ok_or(DnsError::Truncated { at: pos })?;
                let target = (((len & 0x3f) as usize) << 8) | lo as usize;
                jumps += 1;
                if target >= floor || jumps > MAX_POINTERS {
                    return Err(DnsError::BadPointer { at: pos });
                }
                let end = *after.get_or_insert(pos + 2);
                // The walk from `target` (floor `target`, as here after the jump) succeeded
                // before: the rest of this one is the same, its lengths and pointers added.
                if let Some((w, j)) = known.and_then(|k| k.get(target)) {
                    let (wire_len, jumps) = (wire_len + w - 1, jumps + j);
                    if wire_len <= MAX_NAME_WIRE_LEN && jumps <= MAX_POINTERS {
                        return Ok(Walked {
                            end,
                            wire_len,
                            jumps,
                        });
                    }
                }
                floor = target;
                pos = target;
            }
            _ => return Err(DnsError::BadLabel { at: pos, byte: len }),
        }
    }
    Ok(Walked {
        end: after.unwrap_or(pos),
        wire_len,
        jumps,
    })
}

/// Appends a label: printable ASCII (space to `~`) as is, any other byte as `\xHH`.
fn push_label(out: &mut Vec<u8>, label: &[u8]) {
    for &c in label {
        if printable(c) {
            out.push(c);
        } else {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[b'\\', b'x', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        }
    }
}

/// Printable ASCII: space to `~`.
fn printable(c: u8) -> bool {
    c.wrapping_sub(0x20) < 0x5f
}

/// A name built by [`read_name_bytes`] as text, without checking it again: names are read for
/// every message, and the check cost as much as the copy of their labels.
fn ascii(name: &[u8]) -> &str {
    debug_assert!(name.is_ascii());
    // SAFETY: only called on the parser's name buffers, which `read_name_bytes` fills with
    // printable ASCII and `\xHH` escapes (or leaves empty): ASCII is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(name) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes `name` as uncompressed labels.
    pub(crate) fn labels(name: &str) -> Vec<u8> {
        let mut v = Vec::new();
        for l in name.split('.').filter(|l| !l.is_empty()) {
            v.push(l.len() as u8);
            v.extend(l.as_bytes());
        }
        v.push(0);
        v
    }

    fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(id.to_be_bytes());
        v.extend(flags.to_be_bytes());
        for c in counts {
            v.extend(c.to_be_bytes());
        }
        v
    }

    fn rr(name: &[u8], rtype: u16, class: u16, ttl: u32, data: &[u8]) -> Vec<u8> {
        let mut v = name.to_vec();
        v.extend(rtype.to_be_bytes());
        v.extend(class.to_be_bytes());
        v.extend(ttl.to_be_bytes());
        v.extend((data.len() as u16).to_be_bytes());
        v.extend(data);
        v
    }

    #[test]
    fn full_response() {
        let mut m = header(0xbeef, 0x8183, [1, 3, 1, 1]);
        m.extend(labels("www.example.com"));
        m.extend([0, 1, 0, 1]);
        let q = [0xc0, 12];
        m.extend(rr(&q, 5, 1, 300, &labels("host.example.com")));
        m.extend(rr(&q, 1, 1, 60, &[10, 0, 0, 1]));
        let mut aaaa = [0u8; 16];
        aaaa[15] = 1;
        m.extend(rr(&q, 28, 1, 30, &aaaa));
        let mut soa = labels("ns.example.com");
        soa.extend([0xc0, 16]); // "example.com" from the question
        for v in [1u32, 2, 3, 4, 5] {
            soa.extend(v.to_be_bytes());
        }
        m.extend(rr(&[0xc0, 16], 6, 1, 900, &soa));
        m.extend(rr(&[0], 41, 1232, 0x0100_8000, &[0, 10, 0, 2, 0xab, 0xcd]));
        let msg = Message::parse(&m).unwrap();
        assert_eq!(msg.header.id, 0xbeef);
        assert!(msg.header.is_response());
        assert_eq!(msg.header.rcode(), 3);
        assert_eq!(msg.extended_rcode(), 16 + 3);
        assert_eq!(msg.questions[0].name, "www.example.com");
        assert_eq!(msg.answers[0].data, RData::Cname("host.example.com".into()));
        assert_eq!(msg.answers[1].data, RData::A(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(msg.answers[2].data, RData::Aaaa("::1".parse().unwrap()));
        assert_eq!(msg.authorities[0].name, "example.com");
        assert!(
            matches!(&msg.authorities[0].data, RData::Soa { mname, rname, minimum: 5, .. }
            if mname == "ns.example.com" && rname == "example.com")
        );
        assert_eq!(msg.additionals[0].name, "<Root>");
        assert_eq!(
            msg.additionals[0].data,
            RData::Opt {
                udp_payload_size: 1232,
                extended_rcode: 1,
                version: 0,
                dnssec_ok: true,
                options: vec![(10, vec![0xab, 0xcd])]
            }
        );
        assert_eq!(msg.records().count(), 5);
    }

    #[test]
    fn other_types() {
        let mut m = header(1, 0x8000, [0, 5, 0, 0]);
        let mut mx = vec![0, 10];
        mx.extend(labels("mail.example.com"));
        m.extend(rr(&[0], 15, 1, 1, &mx));
        m.extend(rr(&[0], 16, 1, 1, &[2, b'h', b'i', 0, 1, b'x']));
        let mut srv = vec![0, 1, 0, 2, 0x13, 0x88];
        srv.extend(labels("sip.example.com"));
        m.extend(rr(&[0], 33, 1, 1, &srv));
        m.extend(rr(&[0], 12, 1, 1, &labels("a.b")));
        m.extend(rr(&[0], 99, 1, 1, &[1, 2, 3]));
        let msg = Message::parse(&m).unwrap();
        let d: Vec<_> = msg.answers.iter().map(|r| r.data.clone()).collect();
        assert_eq!(
            d,
            vec![
                RData::Mx {
                    preference: 10,
                    exchange: "mail.example.com".into()
                },
                RData::Txt(vec![b"hi".to_vec(), vec![], b"x".to_vec()]),
                RData::Srv {
                    priority: 1,
                    weight: 2,
                    port: 5000,
                    target: "sip.example.com".into()
                },
                RData::Ptr("a.b".into()),
                RData::Other { len: 3 },
            ]
        );
    }

    #[test]
    fn malformed_messages() {
        assert_eq!(
            Message::parse(&[0; 11]),
            Err(DnsError::Truncated { at: 10 })
        );
        // Question count larger than the data.
        let m = header(1, 0, [2, 0, 0, 0]);
        assert!(matches!(
            Message::parse(&m),
            Err(DnsError::Truncated { .. })
        ));
        // A record whose data is shorter than an A needs.
        let mut m = header(1, 0x8000, [0, 1, 0, 0]);
        m.extend(rr(&[0], 1, 1, 1, &[1, 2]));
        assert_eq!(
            Message::parse(&m),
            Err(DnsError::BadRdata { at: 23, rtype: 1 })
        );
        // rdlength past the end.
        let mut m = header(1, 0x8000, [0, 1, 0, 0]);
        m.extend(rr(&[0], 1, 1, 1, &[1, 2, 3, 4]));
        m.truncate(m.len() - 1);
        assert!(matches!(
            Message::parse(&m),
            Err(DnsError::Truncated { .. })
        ));
        // A name inside rdata running beyond rdlength.
        let mut m = header(1, 0x8000, [0, 1, 0, 0]);
        m.extend(rr(&[0], 5, 1, 1, &[3, b'a']));
        m.extend([b'b', b'c', 0]);
        assert!(matches!(Message::parse(&m), Err(DnsError::BadRdata { .. })));
    }

    /// A visitor that skips names: it must accept and reject exactly what the full parse does.
    struct Lean(Vec<(Section, u16, u32)>);
    impl Visitor for Lean {
        const ALL_NAMES: bool = false;
        fn record(&mut self, section: Section, r: &RecordRef<'_>) {
            self.0.push((section, r.rtype, r.ttl));
        }
    }

    /// `m` with up to 3 random bytes changed (`round % 4` of them: a pointer mark, a label
    /// length or any byte), and cut at a random length every 7th round.
    fn damaged(m: &[u8], round: usize, next: &mut impl FnMut() -> u64) -> Vec<u8> {
        let mut d = m.to_vec();
        for _ in 0..(round % 4) {
            let r = next();
            let at = (r as usize) % d.len();
            d[at] = match r >> 32 & 3 {
                0 => 0xc0,
                1 => (r >> 40) as u8 & 0x3f,
                _ => (r >> 40) as u8,
            };
        }
        if round.is_multiple_of(7) {
            d.truncate((next() as usize) % d.len());
        }
        d
    }

    #[test]
    fn skipping_names_checks_them_all_the_same() {
        let mut next = crate::dns::xorshift(0x2545_f491_4f6c_dd1du64);
        // A valid response, then random damage to it.
        let mut m = header(7, 0x8180, [1, 2, 1, 1]);
        m.extend(labels("www.example.com"));
        m.extend([0, 1, 0, 1]);
        m.extend(rr(&[0xc0, 12], 5, 1, 300, &labels("host.example.com")));
        m.extend(rr(&[0xc0, 12], 12, 1, 60, &[3, b'p', b't', b'r', 0xc0, 16]));
        let mut soa = labels("ns.example.com");
        soa.extend([0xc0, 16]);
        soa.extend([0u8; 20]);
        m.extend(rr(&[0xc0, 16], 6, 1, 900, &soa));
        m.extend(rr(&[0], 41, 1232, 0, &[]));
        let mut s = String::new();
        for round in 0..20_000 {
            let d = damaged(&m, round, &mut next);
            for pos in 0..d.len() {
                assert_eq!(
                    read_name(&d, pos, &mut s),
                    skip_name(&d, pos),
                    "{d:?} at {pos}"
                );
            }
            let full = Message::parse(&d);
            let mut lean = Lean(Vec::new());
            let h = Parser::default().visit(&d, &mut lean);
            assert_eq!(full.as_ref().map(|f| f.header).map_err(|e| *e), h, "{d:?}");
            if let Ok(f) = full {
                let kinds: Vec<_> = f
                    .answers
                    .iter()
                    .map(|r| (Section::Answer, r.rtype, r.ttl))
                    .chain(
                        f.authorities
                            .iter()
                            .map(|r| (Section::Authority, r.rtype, r.ttl)),
                    )
                    .chain(
                        f.additionals
                            .iter()
                            .map(|r| (Section::Additional, r.rtype, r.ttl)),
                    )
                    .collect();
                assert_eq!(kinds, lean.0);
            }
        }
    }

    /// A visitor that reads A, AAAA and CNAME data only (as the reader's rows).
    #[derive(Default)]
    struct Framing(Vec<(Section, u16, u32, String)>);
    impl Visitor for Framing {
        const ALL_NAMES: bool = false;
        const ALL_DATA: bool = false;
        fn record(&mut self, section: Section, r: &RecordRef<'_>) {
            let data = match r.data {
                RDataRef::A(a) => a.to_string(),
                RDataRef::Aaaa(a) => a.to_string(),
                RDataRef::Cname(n) => n.to_string(),
                RDataRef::Other(len) => format!("{len}"),
                other => panic!("read data the visitor does not want: {other:?}"),
            };
            self.0.push((section, r.rtype, r.ttl, data));
        }
    }

    #[test]
    fn framing_only_accepts_what_the_full_parse_does_and_damaged_unread_data() {
        let mut next = crate::dns::xorshift(0x9e37_79b9_7f4a_7c15u64);
        let mut m = header(7, 0x8180, [1, 3, 1, 2]);
        m.extend(labels("www.example.com"));
        m.extend([0, 1, 0, 1]);
        m.extend(rr(&[0xc0, 12], 5, 1, 300, &labels("host.example.com")));
        m.extend(rr(&[0xc0, 12], 1, 1, 30, &[10, 0, 0, 1]));
        m.extend(rr(
            &[0xc0, 12],
            28,
            1,
            40,
            &[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        ));
        let mut soa = labels("ns.example.com");
        soa.extend([0xc0, 16]);
        soa.extend([0u8; 20]);
        m.extend(rr(&[0xc0, 16], 6, 1, 900, &soa));
        m.extend(rr(&[0xc0, 12], 15, 1, 60, &[0, 10, 0xc0, 16]));
        m.extend(rr(&[0], 41, 1232, 0, &[0, 10, 0, 2, 1, 2]));
        let (mut accepted_more, mut same) = (0, 0);
        for round in 0..20_000 {
            let d = damaged(&m, round, &mut next);
            let full = Message::parse(&d);
            let mut framing = Framing::default();
            let h = Parser::default().visit(&d, &mut framing);
            match full {
                // Whatever the full parse accepts, with the same records and the same data
                // of the types read.
                Ok(f) => {
                    assert_eq!(h, Ok(f.header), "{d:?}");
                    let want: Vec<_> = [
                        (Section::Answer, &f.answers),
                        (Section::Authority, &f.authorities),
                        (Section::Additional, &f.additionals),
                    ]
                    .into_iter()
                    .flat_map(|(s, rs)| rs.iter().map(move |r| (s, r)))
                    .map(|(s, r)| {
                        let data = match &r.data {
                            RData::A(a) => a.to_string(),
                            RData::Aaaa(a) => a.to_string(),
                            RData::Cname(n) => n.clone(),
                            _ => String::new(),
                        };
                        (s, r.rtype, r.ttl, data)
                    })
                    .collect();
                    assert_eq!(want.len(), framing.0.len(), "{d:?}");
                    for (w, got) in want.iter().zip(&framing.0) {
                        assert_eq!((w.0, w.1, w.2), (got.0, got.1, got.2), "{d:?}");
                        if matches!(w.1, 1 | 5 | 28) {
                            assert_eq!(w.3, got.3, "{d:?}");
                        }
                    }
                    same += 1;
                }
                // Damage the full parse finds is found too, unless it lies only inside the
                // data of the types not read.
                Err(_) => accepted_more += h.is_ok() as usize,
            }
        }
        assert!(same > 1000 && accepted_more > 100, "{same} {accepted_more}");
        // A SOA whose names point forwards: malformed to the full parse, not to framing.
        let mut m = header(1, 0x8183, [0, 0, 1, 0]);
        let mut soa = vec![0xc0, 0x40, 0xc0, 0x40];
        soa.extend([0u8; 20]);
        m.extend(rr(&[0], 6, 1, 60, &soa));
        assert!(matches!(
            Message::parse(&m),
            Err(DnsError::BadPointer { .. })
        ));
        let mut framing = Framing::default();
        assert!(Parser::default().visit(&m, &mut framing).is_ok());
        assert_eq!(framing.0, [(Section::Authority, 6, 60, "24".to_string())]);
        // Its data length past the end stays an error.
        m.truncate(m.len() - 1);
        assert!(matches!(
            Parser::default().visit(&m, &mut Framing::default()),
            Err(DnsError::Truncated { .. })
        ));
    }

    #[test]
    fn plain_names_read_as_the_general_walk_does() {
        let mut next = crate::dns::xorshift(0x2545_f491_4f6c_dd1d);
        let (mut plain, mut general) = (Vec::new(), Vec::new());
        let mut fast = 0;
        for round in 0..20_000 {
            // Names of random labels (sizes up to the limits, sometimes a byte to escape or a
            // pointer), behind a prefix, then a random tail or a cut.
            let mut m = vec![0u8; (next() % 4) as usize];
            let start = m.len();
            for _ in 0..next() % 9 {
                let r = next();
                let len: u8 = if r.is_multiple_of(5) {
                    63
                } else {
                    ((r >> 8) % 40) as u8
                };
                m.push(len);
                m.extend((0..len).map(|i| match (r >> 16) % 50 {
                    0 => 0x07,
                    1 => 0xc8,
                    _ => b'a' + (i as usize + round) as u8 % 26,
                }));
            }
            match next() % 10 {
                0 => m.extend([0xc0, 0]),
                1 => m.push(0x45),
                _ => m.push(0),
            }
            m.extend((0..next() % 80).map(|i| i as u8));
            if round % 7 == 0 {
                let cut = (next() as usize) % (m.len() + 1);
                m.truncate(cut);
            }
            let want = read_name_walk(&m, start, &mut general);
            if let Some(w) = read_plain_name(&m, start, &mut plain) {
                fast += 1;
                let g = want.expect("the general walk accepts what the plain one does");
                assert_eq!((w.end, w.wire_len, w.jumps), (g.end, g.wire_len, g.jumps));
                assert_eq!(plain, general, "round {round}");
            }
        }
        assert!(fast > 5_000, "{fast}");
    }

    #[test]
    fn pointers_to_known_names_keep_the_limits() {
        // A 250-byte question name; owners pointing to it, alone or after labels that take
        // the whole name past 255 bytes, or after a chain of pointers.
        let long = [
            "x".repeat(63),
            "x".repeat(63),
            "x".repeat(63),
            "x".repeat(55),
        ]
        .join(".");
        for prefix in [
            vec![],
            vec![2, b'a', b'b'],
            vec![5, b'a', b'b', b'c', b'd', b'e'],
        ] {
            let mut m = header(1, 0x8000, [1, 2, 0, 0]);
            m.extend(labels(&long));
            m.extend([0, 1, 0, 1]);
            let mut owner = prefix.clone();
            owner.extend([0xc0, 12]);
            m.extend(rr(&owner, 1, 1, 5, &[1, 2, 3, 4]));
            m.extend(rr(&[0xc0, 12], 1, 1, 6, &[1, 2, 3, 4]));
            let full = Message::parse(&m);
            let mut lean = Lean(Vec::new());
            let h = Parser::default().visit(&m, &mut lean);
            assert_eq!(full.as_ref().map(|f| f.header).map_err(|e| *e), h);
            assert_eq!(full.is_ok(), prefix.len() < 7, "{prefix:?}");
        }
    }

    #[test]
    fn names_and_pointer_loops() {
        let mut s = String::new();
        // Self-pointer, forward pointer, mutual loop: all rejected.
        assert_eq!(
            read_name(&[0xc0, 0], 0, &mut s),
            Err(DnsError::BadPointer { at: 0 })
        );
        assert_eq!(
            read_name(&[0xc0, 2, 0], 0, &mut s),
            Err(DnsError::BadPointer { at: 0 })
        );
        let looped = [1, b'a', 0xc0, 0, 0xc0, 0];
        assert_eq!(
            read_name(&looped, 4, &mut s),
            Err(DnsError::BadPointer { at: 2 })
        );
        assert_eq!(
            read_name(&[0x40, 0], 0, &mut s),
            Err(DnsError::BadLabel { at: 0, byte: 0x40 })
        );
        assert_eq!(
            read_name(&[], 0, &mut s),
            Err(DnsError::Truncated { at: 0 })
        );
        assert_eq!(read_name(&[0], 0, &mut s), Ok(1));
        assert_eq!(s, "<Root>");
        assert_eq!(read_name(&[2, b'a', 0xff, 0], 0, &mut s), Ok(4));
        assert_eq!(s, "a\\xff");
        // 255-byte limit: four 63-byte labels are 257 bytes on the wire.
        let long = vec!["x".repeat(63); 4].join(".");
        assert_eq!(
            read_name(&labels(&long), 0, &mut s),
            Err(DnsError::NameTooLong { at: 0 })
        );
        let ok = [
            "x".repeat(63),
            "x".repeat(63),
            "x".repeat(63),
            "x".repeat(61),
        ]
        .join(".");
        assert_eq!(read_name(&labels(&ok), 0, &mut s), Ok(255));
        assert_eq!(s, ok);
        // A chain of pointers each going further back is fine.
        let chain = [1, b'a', 0, 1, b'b', 0xc0, 0, 0xc0, 3];
        assert_eq!(read_name(&chain, 7, &mut s), Ok(9));
        assert_eq!(s, "b.a");
        // Labels, then a pointer to more labels: spelled in two pieces.
        let mut m = labels("example.com");
        m.extend([3, b'w', b'w', b'w', 2, b'x', b'y', 0xc0, 0]);
        assert_eq!(read_name(&m, 13, &mut s), Ok(22));
        assert_eq!(s, "www.xy.example.com");
        assert_eq!(read_name(&m, 0, &mut s), Ok(13));
        assert_eq!(s, "example.com");
        // Only a pointer, to labels in one piece.
        assert_eq!(read_name(&[1, b'a', 0, 0xc0, 0], 3, &mut s), Ok(5));
        assert_eq!(s, "a");
    }
}
