//! # spot-synth
//!
//! Seeded synthetic days of enterprise network telemetry with labeled injected attacks, for the
//! demo, tests, benchmarks and evaluation. The same seed gives the same day.
//!
//! ```
//! use spot_synth::{FlowDayConfig, flow_day};
//! let day = flow_day(&FlowDayConfig { workstations: 20, ..FlowDayConfig::default() });
//! assert!(day.batch.num_rows() > 1000);
//! assert_eq!(day.attacks.len(), 5);
//! ```
//!
//! DNS days are written as real packet captures (Ethernet/IPv4/UDP queries and responses) with a
//! `row_id,attack` labels file keyed by the response's frame number, one hour at a time:
//!
//! ```
//! use spot_synth::{DnsDayConfig, write_dns_day};
//! let (mut pcap, mut labels) = (Vec::new(), Vec::new());
//! let day = write_dns_day(&DnsDayConfig { clients: 20, ..DnsDayConfig::default() }, &mut pcap, &mut labels)?;
//! assert_eq!(day.attacks.len(), 4); // tunnel, slow tunnel, DGA burst, rare query type
//! assert_eq!(pcap.len() as u64, day.bytes);
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod dns;
pub mod flow;
pub mod proxy;

pub use dns::{
    DnsAttackKind, DnsDay, DnsDayConfig, DnsInjectedAttack, INTERNAL_ZONE, top_domains_csv,
    write_dns_day,
};
pub use flow::{AttackKind, FlowDay, FlowDayConfig, InjectedAttack, flow_day};
pub use proxy::{
    InjectedProxyAttack, PROXY_DAY_FIELDS, ProxyAttackKind, ProxyDay, ProxyDayConfig, ProxyRequest,
    proxy_day,
};
