//! # spot-features
//!
//! Turns event batches into Apache Spot's "words" and the IP documents the topic model learns
//! from.
//!
//! - [`dns`]: Spot's DNS words (`DnsWords`), validity rules and DNS feedback file.
//! - [`domain`]: Spot's domain / subdomain split, entropy and bins (DNS and proxy words).
//! - [`flow`]: Spot's flow words (`FlowWordCreator`) and validity rules.
//! - [`proxy`]: Spot's proxy words (`ProxyWordCreation`), validity rules and feedback file.
//! - [`WordCreator`]: the per-source contract: given a batch, which rows are invalid (and why),
//!   and for each valid row the (document, word) pairs it contributes.
//! - [`CorpusBuilder`] / [`Corpus`]: interned vocabulary and documents with sparse counts.
//! - [`feedback`]: Spot's analyst feedback files; low-risk rows join training DUPFACTOR times.
//!
//! ```
//! use spot_features::flow::flow_words;
//! let w = flow_words(13, 51234, 443, "TCP", 4800, 12);
//! assert_eq!(w.src, "443_TCP_13_13_4");
//! assert_eq!(w.dst, "-1_443_TCP_13_13_4");
//! ```

mod corpus;
pub mod dns;
pub mod domain;
mod error;
pub mod feedback;
pub mod flow;
pub mod proxy;
mod words;

pub use corpus::{Corpus, CorpusBuilder};
pub use error::FeatureError;
pub use words::{InvalidCounts, InvalidReason, WordCreator, Words};
