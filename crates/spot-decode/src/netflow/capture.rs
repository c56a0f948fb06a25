//! Flows from packet captures of NetFlow/IPFIX export traffic: every UDP datagram of a pcap or
//! pcapng file goes through one [`NetflowDecoder`], with the packet's source address as the
//! exporter and its capture time as the receive time.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;

use super::{NetflowDecoder, NetflowStats};
use crate::capture::{CaptureReader, ip, link, udp};
use crate::error::Result;
use crate::flow::FlowBatchBuilder;

/// What a [`CaptureFlows`] skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureFlowStats {
    /// Frames read.
    pub frames: u64,
    /// Frames that were not UDP over IP (or were cut short).
    pub not_udp: u64,
    /// UDP datagrams that did not decode as NetFlow (counted by the decoder too).
    pub not_netflow: u64,
}

/// Streams the flows exported in a capture file as batches of
/// [`nfdump_flow_schema`](crate::flow::nfdump_flow_schema).
///
/// ```no_run
/// use spot_decode::netflow::capture::CaptureFlows;
/// let mut flows = CaptureFlows::open("exports.pcap")?;
/// for batch in &mut flows {
///     println!("{} flows", batch?.num_rows());
/// }
/// println!("{:?}", flows.decoder_stats());
/// # Ok::<(), spot_decode::DecodeError>(())
/// ```
pub struct CaptureFlows {
    path: PathBuf,
    reader: CaptureReader,
    decoder: NetflowDecoder,
    reassembler: ip::Reassembler,
    builder: FlowBatchBuilder,
    batch_size: usize,
    stats: CaptureFlowStats,
    done: bool,
}

impl CaptureFlows {
    /// Opens a pcap, pcapng or gzip-compressed capture.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        Ok(CaptureFlows {
            reader: CaptureReader::open(&path)?,
            path,
            decoder: NetflowDecoder::new(),
            reassembler: ip::Reassembler::new(ip::ReassemblyLimits::default()),
            builder: FlowBatchBuilder::new(),
            batch_size: crate::flow::DEFAULT_BATCH_SIZE,
            stats: CaptureFlowStats::default(),
            done: false,
        })
    }

    /// Rows per batch.
    pub fn with_batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// The capture file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frames read and skipped.
    pub fn stats(&self) -> &CaptureFlowStats {
        &self.stats
    }

    /// The NetFlow decoder's counters (per exporter included).
    pub fn decoder_stats(&self) -> &NetflowStats {
        self.decoder.stats()
    }

    fn fill(&mut self) -> Result<()> {
        while self.builder.len() < self.batch_size {
            let Some(p) = self.reader.next_packet()? else {
                // Sets still waiting for a template will not get one.
                self.decoder.drop_held();
                self.done = true;
                return Ok(());
            };
            self.stats.frames += 1;
            let msec = (p.ts_sec.max(0) as u64) * 1000 + (p.ts_nsec / 1_000_000) as u64;
            let Ok(net) = link::network(p.link_type, p.data) else {
                self.stats.not_udp += 1;
                continue;
            };
            let Ok(pkt) = ip::parse(net, &mut self.reassembler, p.ts_sec) else {
                self.stats.not_udp += 1;
                continue;
            };
            let Some(u) = (pkt.protocol == 17)
                .then(|| udp::parse(&pkt.payload))
                .flatten()
            else {
                self.stats.not_udp += 1;
                continue;
            };
            let builder = &mut self.builder;
            if self
                .decoder
                .decode(pkt.src, msec, u.payload, &mut |f| builder.append(f))
                .is_err()
            {
                self.stats.not_netflow += 1;
            }
        }
        Ok(())
    }
}

impl Iterator for CaptureFlows {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.done
            && let Err(e) = self.fill()
        {
            self.done = true;
            if self.builder.is_empty() {
                return Some(Err(e));
            }
        }
        if self.builder.is_empty() {
            None
        } else {
            Some(Ok(self.builder.finish()))
        }
    }
}
